// Joining a client's hijacked connection to a shim's attach socket: the shim
// sends Docker stream frames; a TTY container's client wants them unframed.
import type { Socket } from "node:net";

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  logs: boolean;
}

export function bridgeAttach(shim: Socket, client: Socket, o: AttachOptions, tty: boolean): Promise<void> {
  return new Promise((resolve) => {
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      client.end();
      shim.destroy();
      resolve();
    };
    shim.on("error", finish);
    client.on("error", finish);
    shim.write(JSON.stringify({ stdin: o.stdin, stdout: o.stdout, stderr: o.stderr }) + "\n");
    let pending: Buffer = Buffer.alloc(0);
    shim.on("data", (chunk: Buffer) => {
      if (!tty) {
        client.write(chunk);
        return;
      }
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 8) {
        const len = pending.readUInt32BE(4);
        if (pending.length < 8 + len) break;
        client.write(pending.subarray(8, 8 + len));
        pending = pending.subarray(8 + len);
      }
    });
    shim.on("end", finish);
    shim.on("close", finish);
    if (o.stdin) {
      // Docker's detach keys (ctrl-p ctrl-q) end the attachment, not the container.
      let prev = -1;
      client.on("data", (b: Buffer) => {
        for (let i = 0; i < b.length; i++) {
          if (prev === 0x10 && b[i] === 0x11) {
            if (i > 1) shim.write(b.subarray(0, i - 1));
            finish();
            return;
          }
          prev = b[i]!;
        }
        shim.write(b);
      });
      client.on("end", () => shim.end());
    } else {
      client.on("end", finish);
    }
    client.on("close", finish);
  });
}
