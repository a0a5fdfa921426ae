// Joining a client's hijacked connection to a shim's attach socket: the shim
// sends Docker stream frames; a TTY container's client wants them unframed.
import type { Socket } from "node:net";
import { DEFAULT_DETACH_KEYS, DetachMatcher } from "../../shared/detach-keys.ts";
import { frame, readLogs } from "./logs.ts";

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  logs: boolean;
  /** Follow the live output (Docker's `stream`); false with `logs` replays the log and ends. Default true. */
  stream?: boolean;
  /** Bytes that end the attachment (default ctrl-p ctrl-q). */
  detachKeys?: number[];
}

/**
 * `control` opens another connection to the same shim: a detach is announced
 * there (and acknowledged) before this one closes, so the shim does not take
 * the close for the end of stdin.
 */
export function bridgeAttach(shim: Socket, client: Socket, o: AttachOptions, tty: boolean, control: () => Socket): Promise<void> {
  return new Promise((resolve) => {
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      shim.destroy();
      // Ended once the client's connection took the last of the output (or went away): an exit is reported after that.
      if (client.destroyed || client.writableFinished) return resolve();
      client.once("close", () => resolve());
      client.end(() => resolve());
    };
    shim.on("error", finish);
    client.on("error", finish);
    const token = crypto.randomUUID();
    shim.write(JSON.stringify({ stdin: o.stdin, stdout: o.stdout, stderr: o.stderr, token }) + "\n");
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
      // The detach keys end the attachment, not the container.
      const detach = new DetachMatcher(o.detachKeys ?? DEFAULT_DETACH_KEYS);
      let detaching = false;
      client.on("data", (b: Buffer) => {
        if (ended || detaching) return;
        const { forward, detached } = detach.push(b);
        if (!detached) {
          if (forward.length) shim.write(forward);
          return;
        }
        // What was typed before the keys still reaches the program; the shim learns this is a detach first.
        detaching = true;
        if (forward.length) shim.write(forward);
        detachFrom(control(), token).finally(finish);
      });
      // Once detaching, the client going away is not the end of stdin.
      client.on("end", () => !detaching && shim.end());
      client.on("close", () => !detaching && finish());
    } else {
      client.on("end", finish);
      client.on("close", finish);
    }
  });
}

/** Tells the shim that the attachment `token` detaches; resolves once it answered (or failed). */
function detachFrom(ctl: Socket, token: string): Promise<void> {
  return new Promise((resolve) => {
    ctl.on("error", () => resolve());
    ctl.on("close", () => resolve());
    ctl.on("data", () => {
      ctl.destroy();
      resolve();
    });
    ctl.write(JSON.stringify({ detach: token }) + "\n");
  });
}

/** `attach?logs=1`: what the container wrote so far, sent before the live stream (as dockerd does). */
export async function replayLog(logPath: string, client: Socket, opts: AttachOptions, tty: boolean): Promise<void> {
  const o = { stdout: opts.stdout, stderr: opts.stderr, since: 0, until: 0, tail: -1, timestamps: false, details: false, follow: false };
  const enc = new TextEncoder();
  for await (const r of readLogs(logPath, o, () => false)) {
    const bytes = enc.encode(r.log);
    client.write(tty ? bytes : frame(r.stream === "stdout" ? 1 : 2, bytes));
  }
}
