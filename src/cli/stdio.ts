// The CLI's stdout and stderr: text queued in order, bytes as plain synchronous writes to fds 1 and 2.
// Node's process.stdout is built on first use, and in the compiled executable
// that costs about 15 ms: more than the rest of a short command's start-up.
// Blocking writes of bytes are what the docker CLI does too (Go's os.Stdout).
import { nodeFs, nodeTty } from "../builtins.ts";
import { errnoCode } from "../errors.ts";

export interface Output {
  readonly fd: number;
  /** False when a streaming writer must await `writable()`: the output waiting for a slow reader is over its mark, or a write failed. */
  write(chunk: string | Uint8Array): boolean;
  readonly isTTY: boolean;
  /** The terminal's width (80 when it is not a terminal). */
  readonly columns: number;
  readonly rows: number;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * isatty(fd), asking node:tty only about a character device that may be a terminal: loading
 * node:tty brings Node's streams along, a quarter of the JavaScript time of a `run` whose
 * output is a pipe or a file. Memory devices (major 1: /dev/null, /dev/zero) are not terminals.
 */
export function isTerminal(fd: number): boolean {
  let st;
  try {
    st = nodeFs().fstatSync(fd);
  } catch {
    return false; // closed: no terminal
  }
  if (!st.isCharacterDevice() || ((st.rdev >> 8) & 0xfff) === 1) return false;
  return nodeTty().isatty(fd);
}

/**
 * How much output may wait for a slow reader before a streaming command stops reading more: a
 * pipe holds 64 KiB, and a little more than that lets a burst go out in few writes. A string
 * counts its length (UTF-16 units, about its bytes for the text a CLI prints). Bun.write (1.4.5)
 * blocks on a full pipe for a write under ~256 KiB and waits asynchronously for a larger one (a long
 * line, a batch): then this mark is what holds the command back.
 */
const highWater = 1 << 20;

/**
 * Everything written to fds 1 and 2 that is not a plain blocking write, through Bun.write one write
 * after another across both: a command that only prints text (ps, images, inspect) never loads
 * node:fs (~115 page faults and ~3 ms of its start). cliMain awaits `flushed()` before the
 * command's exit code is returned. A streaming command awaits `writable()` (or reads through
 * `paced()`) so that no more than the high-water mark waits here, as a blocking write would
 * hold it: a stalled reader must stall the command, not grow its memory.
 */
class OutputQueue {
  private items: { fd: 1 | 2; chunk: string | Uint8Array }[] = [];
  /** The loop writing the items out, while there are any. */
  private pumping?: Promise<void>;
  private failure?: unknown;
  /** The size of the items not yet written. */
  private queued = 0;
  private waiting: (() => void)[] = [];

  /** Whether anything is queued or being written: a plain write now would overtake it. */
  get busy(): boolean {
    return this.pumping !== undefined;
  }

  write(fd: 1 | 2, chunk: string | Uint8Array): void {
    this.items.push({ fd, chunk });
    this.queued += chunk.length;
    this.pumping ??= this.pump();
  }

  /**
   * Writes the items in order, those for the same fd that wait together in one Bun.write: a log of
   * short lines read faster than its reader takes them goes out in few writes, not one per line.
   */
  private async pump(): Promise<void> {
    await undefined; // the writes of this turn (a table, its lines) join the first batch
    while (this.items.length) {
      const fd = this.items[0]!.fd;
      let n = 1;
      let size = this.items[0]!.chunk.length;
      for (; n < this.items.length && this.items[n]!.fd === fd && size < highWater; n++) size += this.items[n]!.chunk.length;
      const batch = this.items.splice(0, n);
      try {
        await Bun.write(fd === 1 ? Bun.stdout : Bun.stderr, joined(batch.map((i) => i.chunk)));
      } catch (e) {
        // As the blocking write: the reader of stdout went away, end as SIGPIPE would; a lost stderr is not worth dying for.
        if (errnoCode(e) === "EPIPE") {
          if (fd === 1) process.exit(141);
        } else this.failure ??= e;
      }
      this.queued -= size;
      if (this.waiting.length && (this.queued < highWater || this.failure)) for (const wake of this.waiting.splice(0)) wake();
    }
    this.pumping = undefined;
  }

  /** Whether a writer must await `writable()`: the mark is passed, or a write failed (which it then throws). */
  get mustWait(): boolean {
    return this.queued >= highWater || this.failure !== undefined;
  }

  /** At once while under the mark, else once the writes have brought it under; rejects once a write failed. */
  writable(): Promise<void> {
    if (!this.mustWait) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const settle = () => (this.failure ? reject(this.failure) : resolve());
      if (this.failure) settle();
      else this.waiting.push(settle);
    });
  }

  /** The first write's failure, if one failed. */
  get failed(): unknown {
    return this.failure;
  }

  /** Once every write so far is done; rejects with the first write that failed. */
  async flushed(): Promise<void> {
    while (this.pumping) await this.pumping;
    if (this.failure) throw this.failure;
  }
}

/** One chunk of several: text stays text while it is all text (Bun.write encodes it once). */
function joined(chunks: (string | Uint8Array)[]): string | Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  if (chunks.every((c) => typeof c === "string")) return chunks.join("");
  return Buffer.concat(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c)));
}

const queue = new OutputQueue();

/** Once the output written to stdout and stderr so far is out (see OutputQueue). */
export function flushed(): Promise<void> {
  return queue.flushed();
}

/** Once the output waiting for the reader is under the high-water mark (see OutputQueue). */
export function writable(): Promise<void> {
  return queue.writable();
}

/** Whether `e` is the failure of a write to stdout or stderr (which cliMain reports once, after the command). */
export function isOutputFailure(e: unknown): boolean {
  return e !== undefined && e === queue.failed;
}

/** Whether a streaming writer must await `writable()` before writing more (see OutputQueue). */
export function mustWait(): boolean {
  return queue.mustWait;
}

/**
 * The items of a stream (a response's body, its JSON messages), each taken only once the output
 * queued before is under the high-water mark: a streaming command reads no faster than its
 * reader takes what it prints.
 */
export async function* paced<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const item of items) {
    yield item;
    if (queue.mustWait) await queue.writable(); // over the mark, or a write failed: then the stream ends with its error
  }
}

class SyncOutput implements Output {
  private tty?: boolean;
  constructor(readonly fd: 1 | 2) {}

  write(chunk: string | Uint8Array): boolean {
    // Bytes (an archive, a container's output) are written at once, blocking as a full pipe makes
    // them, so that a stream is read no faster than it is written; after text still queued, in turn.
    if (typeof chunk === "string" || queue.busy) {
      queue.write(this.fd, chunk);
      return !queue.mustWait;
    }
    const buf = chunk;
    const { writeSync } = nodeFs(); // on the first write: a command that prints nothing never loads it
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        // An fd someone else made non-blocking: wait a moment and go on.
        if (errnoCode(e) === "EAGAIN") {
          Atomics.wait(pause, 0, 0, 1);
          continue;
        }
        // The reader went away (`berth ps | head -1`): end quietly, as a Go program
        // killed by SIGPIPE does; a lost stderr is not worth dying for.
        if (errnoCode(e) === "EPIPE") {
          if (this.fd === 1) process.exit(141);
          return false;
        }
        throw e;
      }
    }
    return true;
  }

  get isTTY(): boolean {
    return (this.tty ??= isTerminal(this.fd));
  }

  private get terminal(): NodeJS.WriteStream | undefined {
    return this.isTTY ? (this.fd === 1 ? process.stdout : process.stderr) : undefined;
  }
  get columns(): number {
    return this.terminal?.columns ?? 80;
  }
  get rows(): number {
    return this.terminal?.rows ?? 24;
  }
}

export const stdout: Output = new SyncOutput(1);
export const stderr: Output = new SyncOutput(2);

/**
 * A container's output relayed to fds 1 and 2 through the same queue as text, so that it keeps its
 * order with what the command printed, and without node:fs: exec and run without -i, whose only
 * output is the container's, do not load it (~145 page faults and ~3 ms of CPU of a start).
 * Whoever writes awaits `ready()` before reading more, so the output waiting is bounded as with a
 * blocking write.
 */
export class OrderedWriter {
  write(out: Output, chunk: Uint8Array): void {
    queue.write(out.fd === 1 ? 1 : 2, chunk);
  }

  /** Once the output waiting is under the high-water mark (rejects once a write failed). */
  ready(): Promise<void> {
    return queue.writable();
  }
}
