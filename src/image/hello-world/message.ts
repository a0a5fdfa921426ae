// The text berth's built-in hello-world program prints: what just happened
// between client, daemon and container, and where to go next.
export const helloWorldMessage = `
Hello from berth!
Your berth installation looks healthy: this text comes from inside a container.

What just happened:
 1. The berth client sent your request to the berth daemon.
 2. The daemon looked for the "hello-world" image in its local store and found
    it there: the image ships built into berth, so no network was needed.
 3. The daemon created a container from that image, with its own isolated
    namespaces and an overlay filesystem assembled from the image's layers,
    and started this small program inside it as PID 1.
 4. The daemon streamed the program's output back to the client, which
    printed it to your terminal.

Things to try next:
 Open a shell inside a container:
  $ berth run -it busybox sh

 See which images are in the local store:
  $ berth images

 List every container, the stopped ones too:
  $ berth ps -a

 Read about all commands:
  $ berth --help

`;
