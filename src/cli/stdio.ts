// The CLI's stdout and stderr: text queued in order, bytes as plain synchronous writes to fds 1 and 2.
// Node's process.stdout is built on first use, and in the compiled executable
// that costs about 15 ms: more than the rest of a short command's start-up.
// Blocking writes of bytes are what the docker CLI does too (Go's os.Stdout).
import { nodeFs, nodeTty } from "../builtins.ts";
import { errnoCode } from "../errors.ts";

export interface Output {
  readonly fd: number;
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
 * Text for fds 1 and 2, written through Bun.write one write after another across both: a command
 * that only prints text (ps, images, inspect) never loads node:fs (~115 page faults and ~3 ms of
 * its start). cliMain awaits `flushed()` before the command's exit code is returned.
 */
class TextQueue {
  private last: Promise<void> = Promise.resolve();
  private failure?: unknown;
  /** Writes queued and not yet done. */
  pending = 0;

  write(fd: 1 | 2, chunk: string | Uint8Array): void {
    this.pending++;
    this.last = this.last.then(async () => {
      try {
        await Bun.write(fd === 1 ? Bun.stdout : Bun.stderr, chunk);
      } catch (e) {
        // As the blocking write: the reader of stdout went away, end as SIGPIPE would; a lost stderr is not worth dying for.
        if (errnoCode(e) === "EPIPE") {
          if (fd === 1) process.exit(141);
        } else this.failure ??= e;
      } finally {
        this.pending--;
      }
    });
  }

  /** Once every write so far is done; rejects with the first write that failed. */
  async flushed(): Promise<void> {
    await this.last;
    if (this.failure) throw this.failure;
  }
}

const text = new TextQueue();

/** Once the text written to stdout and stderr so far is out (see TextQueue). */
export function flushed(): Promise<void> {
  return text.flushed();
}

class SyncOutput implements Output {
  private tty?: boolean;
  constructor(readonly fd: 1 | 2) {}

  write(chunk: string | Uint8Array): boolean {
    // Bytes (an archive, a container's output) are written at once, blocking as a full pipe makes
    // them, so that a stream is read no faster than it is written; after text still queued, in turn.
    if (typeof chunk === "string" || text.pending > 0) {
      text.write(this.fd, chunk);
      return true;
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
 * A container's output relayed to fds 1 and 2 through Bun.write, each write after the one
 * before, across both fds. Without node:fs: exec and run without -i, whose only output is the
 * container's, do not load it (~145 page faults and ~3 ms of CPU of a start).
 * Whoever writes awaits `idle()` before reading more, so output is bounded as with a blocking write.
 */
export class OrderedWriter {
  private last: Promise<void> = Promise.resolve();

  write(out: Output, chunk: Uint8Array): void {
    const target = out.fd === 1 ? Bun.stdout : Bun.stderr;
    this.last = this.last.then(async () => {
      try {
        await Bun.write(target, chunk);
      } catch (e) {
        // The reader went away: as SyncOutput does, end quietly for stdout, go on without stderr.
        if (errnoCode(e) === "EPIPE" && out.fd === 1) process.exit(141);
        if (errnoCode(e) !== "EPIPE") throw e;
      }
    });
  }

  /** Once every write so far is done (rejects with a write's error). */
  idle(): Promise<void> {
    return this.last;
  }
}
