// Copying a hijacked connection to and from the terminal: stdin → socket,
// socket → stdout/stderr (demultiplexed unless a TTY), raw mode with -t, and
// window-size forwarding.
import type { Socket } from "node:net";
import type { FlagSpec } from "../flags.ts";
import { demuxer } from "../../client/hijack.ts";
import type { Client } from "../../client/client.ts";
import { DEFAULT_DETACH_KEYS, DetachMatcher, parseDetachKeys } from "../../shared/detach-keys.ts";
import { OrderedWriter, mustWait, stderr, stdout, writable, type Output } from "../stdio.ts";

export interface StreamOptions {
  tty: boolean;
  stdin: boolean;
  /** Called with the terminal size when it changes (for resize endpoints). */
  resize?: (h: number, w: number) => void;
  /** The sequence the daemon detaches on (it acts on it; the CLI only notes it was typed). */
  detachKeys?: number[];
}

/** Where a container's output goes: as it is with a TTY, else demultiplexed onto stdout and stderr. */
export function outputFeed(tty: boolean, writer?: OrderedWriter): (chunk: Uint8Array) => void {
  const write = (out: Output) => (b: Uint8Array) => void (writer ? writer.write(out, b) : out.write(b));
  return tty ? write(stdout) : demuxer(write(stdout), write(stderr));
}

/** Resolves when the daemon closes the output side; `detached` when the user typed the detach keys. */
export function pumpStreams(socket: Socket, head: Uint8Array, o: StreamOptions): Promise<{ detached: boolean }> {
  let detached = false;
  return new Promise((resolve) => {
    const feed = outputFeed(o.tty);
    if (head.length) feed(head);
    socket.on("data", (c: Buffer) => {
      feed(c);
      // Text queued before made these bytes queue behind it: read no more until the reader has taken them.
      if (mustWait()) {
        socket.pause();
        writable().then(() => socket.resume(), () => socket.destroy());
      }
    });
    const restore: (() => void)[] = [];
    if (o.stdin) {
      if (o.tty && process.stdin.isTTY) {
        process.stdin.setRawMode(true);
        restore.push(() => process.stdin.setRawMode(false));
      }
      const watch = new DetachMatcher(o.detachKeys ?? DEFAULT_DETACH_KEYS);
      const onData = (c: Buffer) => {
        if (watch.push(c).detached) detached = true;
        socket.write(c);
      };
      process.stdin.on("data", onData);
      process.stdin.on("end", () => socket.end());
      restore.push(() => {
        process.stdin.off("data", onData);
        process.stdin.pause();
      });
    }
    followResize(o, restore);
    const done = () => {
      for (const r of restore) r();
      resolve({ detached });
    };
    socket.on("end", done);
    socket.on("close", done);
    socket.on("error", done);
  });
}

/** With a TTY, sends the terminal's size now and whenever it changes. */
function followResize(o: StreamOptions, restore: (() => void)[]): void {
  if (!o.tty || !o.resize || !stdout.isTTY) return;
  const send = () => o.resize!(process.stdout.rows, process.stdout.columns);
  send();
  process.stdout.on("resize", send);
  restore.push(() => process.stdout.off("resize", send));
}

/**
 * Output only (no stdin): the attach answered as a plain streamed response, which
 * needs no socket of our own (node:net costs a CLI start-up ~2 ms to load).
 * A stream that breaks is an error (its output would be lost unseen), unless
 * `signal` (the caller's own abort, as when the start failed) ended it.
 */
export async function pumpResponse(res: Response, o: StreamOptions, signal?: AbortSignal): Promise<{ detached: boolean }> {
  const writer = new OrderedWriter();
  const feed = outputFeed(o.tty, writer);
  const restore: (() => void)[] = [];
  followResize(o, restore);
  const reader = res.body!.getReader();
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (e) {
        if (signal?.aborted) break;
        throw new Error(`error reading the container's output: ${(e as Error)?.message ?? e}`);
      }
      if (next.done) break;
      feed(next.value);
      await writer.ready(); // read on only while little waits to be written, as a blocking write would
    }
  } catch (e) {
    if ((e as Error)?.message?.startsWith("error reading the container's output")) throw e;
    // stdout failed (a closed pipe), as before: the wait tells how the container ended
  } finally {
    for (const r of restore) r();
  }
  return { detached: false };
}

/** The exit code in a wait's answer; an answer without one (cut short) is an error, never a silent 0. */
export async function exitStatus(res: Response): Promise<number> {
  const text = (await res.text()).trim();
  let status: unknown;
  try {
    status = JSON.parse(text)?.StatusCode;
  } catch {
    // not JSON: reported below with what came
  }
  if (typeof status !== "number") throw new Error(`error waiting for container: ${text ? `unexpected answer ${JSON.stringify(text.slice(0, 200))}` : "the answer ended without an exit status"}`);
  return status;
}

/** This terminal's [rows, columns] (docker's GetTtySize: zeros when stdout is not a terminal). */
export function consoleSize(): [number, number] {
  return stdout.isTTY ? [stdout.rows, stdout.columns] : [0, 0];
}

export function resizer(client: Client, path: string): (h: number, w: number) => void {
  return (h, w) => void client.request("POST", path, { query: { h, w } }).catch(() => {}); // a resize after the exit has nothing to size
}

export const detachKeysFlag: FlagSpec = { name: "detach-keys", type: "string", help: "Override the key sequence for detaching a container" };

/**
 * --detach-keys, else the docker CLI's config.json "detachKeys", else ctrl-p,ctrl-q.
 * Returns the spec for the API and the bytes for watching stdin.
 */
export async function detachKeysOption(flag: string | undefined, configDir?: string): Promise<{ spec?: string; keys: number[] }> {
  let spec = flag;
  if (spec === undefined) {
    try {
      // Loaded here: the config file's code (and node:fs) is not needed by commands without -i.
      const { readDockerConfig } = await import("../../registry/client/credentials.ts");
      const v = readDockerConfig(configDir).detachKeys;
      if (typeof v === "string" && v) spec = v;
    } catch {
      // an unreadable config.json is not this command's concern
    }
  }
  return { spec, keys: parseDetachKeys(spec) };
}
