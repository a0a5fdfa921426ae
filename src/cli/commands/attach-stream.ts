// Copying a hijacked connection to and from the terminal: stdin → socket,
// socket → stdout/stderr (demultiplexed unless a TTY), raw mode with -t, and
// window-size forwarding.
import type { Socket } from "node:net";
import { demuxer } from "../../client/hijack.ts";
import type { Client } from "../../client/client.ts";

export interface StreamOptions {
  tty: boolean;
  stdin: boolean;
  /** Called with the terminal size when it changes (for resize endpoints). */
  resize?: (h: number, w: number) => void;
}

/** Resolves when the daemon closes the output side. */
export function pumpStreams(socket: Socket, head: Uint8Array, o: StreamOptions): Promise<void> {
  return new Promise((resolve) => {
    const write = (fd: NodeJS.WriteStream) => (b: Uint8Array) => void fd.write(b);
    const feed = o.tty ? write(process.stdout) : demuxer(write(process.stdout), write(process.stderr));
    if (head.length) feed(head);
    socket.on("data", (c: Buffer) => feed(c));
    const restore: (() => void)[] = [];
    if (o.stdin) {
      if (o.tty && process.stdin.isTTY) {
        process.stdin.setRawMode(true);
        restore.push(() => process.stdin.setRawMode(false));
      }
      const onData = (c: Buffer) => socket.write(c);
      process.stdin.on("data", onData);
      process.stdin.on("end", () => socket.end());
      restore.push(() => {
        process.stdin.off("data", onData);
        process.stdin.pause();
      });
    }
    if (o.tty && o.resize && process.stdout.isTTY) {
      const send = () => o.resize!(process.stdout.rows, process.stdout.columns);
      send();
      process.stdout.on("resize", send);
      restore.push(() => process.stdout.off("resize", send));
    }
    const done = () => {
      for (const r of restore) r();
      resolve();
    };
    socket.on("end", done);
    socket.on("close", done);
    socket.on("error", done);
  });
}

export function resizer(client: Client, path: string): (h: number, w: number) => void {
  return (h, w) => void client.request("POST", path, { query: { h, w } }).catch(() => {});
}
