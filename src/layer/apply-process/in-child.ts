// The daemon's side of `__apply` (main.ts): each layer is applied by a process
// of the executable while this one feeds it, the blob's bytes through its
// stdin or, for a file still being written (a download, an upload), the file's
// path and how far it is written. Same result and errors as src/layer/apply.ts;
// options with functions (walker, sha256, hostOwner) cannot cross a process
// boundary and are applied here. A process that applied a layer cleanly is
// kept a few seconds for the next one (a pull's layers come together): a
// process start and a cold applier cost ~80 ms of CPU and ~1.6k page faults.
import type { FileSink, Subprocess } from "bun";
import { BerthError, InvalidDataError, InvalidParameterError, NotFoundError, SystemError } from "../../errors.ts";
import type { ApplyOptions, ApplyResult } from "../apply.ts";
import { followedFileOf } from "../source.ts";
import { Limiter } from "../../shared/limiter.ts";
import { selfCommand } from "../../self.ts";
import { FrameReader, type ChildReply, type ChildStart } from "./protocol.ts";

const errorClasses: Record<string, new (message: string) => BerthError> = {
  InvalidDataError, InvalidParameterError, NotFoundError, SystemError,
};

const CORES = Math.max(1, navigator.hardwareConcurrency || 1);
/**
 * Layers applied at once. One more than the cores keeps them busy while one
 * waits for its download or the disk; more would only start more processes.
 * The others wait their turn, their bytes still landing in their files.
 */
export const APPLIES_AT_ONCE = Math.min(6, CORES + 1);
const running = new Limiter(APPLIES_AT_ONCE);
let applying = 0;

/** How long a process that finished a layer waits for the next; then it ends, and an idle daemon has none. */
export const IDLE_MS = 10_000;

export async function applyLayerInChild(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, target: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
  // Loaded only here: the daemon itself does not run the applier.
  if (opts.walker || opts.sha256 || opts.hostOwner) return (await import("../apply.ts")).applyLayer(source, target, opts);
  await running.acquire();
  // A hash thread only where a core is left for it: beside other applies it would take theirs.
  const hashThread = opts.hashThread ?? (applying + 1 < CORES ? undefined : false);
  applying++;
  try {
    return await applyInChild(source, target, { ...opts, hashThread });
  } finally {
    applying--;
    running.release();
  }
}

/** One `__apply` process: its stdin, its replies, and whether it has ended. */
class ApplyProcess {
  readonly proc: Subprocess<"pipe", "pipe", "inherit">;
  readonly sink: FileSink;
  readonly replies: FrameReader;
  exited = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    // Its stderr is the daemon's: what a crash prints lands in the daemon's log.
    this.proc = Bun.spawn([...selfCommand(), "__apply"], { stdio: ["pipe", "pipe", "inherit"] });
    this.sink = this.proc.stdin;
    this.replies = new FrameReader(this.proc.stdout.getReader());
    void this.proc.exited.then(() => (this.exited = true));
  }

  /** Writes to its stdin; false when it stopped reading (it failed: its reply or exit says why). */
  async send(...data: (Uint8Array | string)[]): Promise<boolean> {
    try {
      for (const d of data) this.sink.write(d);
      await this.sink.flush();
      return true;
    } catch {
      return false;
    }
  }

  /** Kept for the next layer until IDLE_MS passes. */
  park(onExpire: () => void): void {
    this.proc.unref();
    this.idleTimer = setTimeout(() => {
      onExpire();
      this.end();
    }, IDLE_MS);
    this.idleTimer.unref?.();
  }

  take(): void {
    clearTimeout(this.idleTimer);
    this.proc.ref();
  }

  /** Its stdin closed: it exits when it has read that. */
  end(): void {
    try {
      // A stdin already closed means the process is exiting anyway: nothing to report.
      void Promise.resolve(this.sink.end()).catch(() => {});
    } catch {
      // already closed: it is exiting anyway
    }
  }

  kill(): Promise<number> {
    this.proc.kill(9);
    return this.proc.exited;
  }

  /** Why it failed: its reply, else how it ended. */
  async failure(reply: ChildReply | undefined): Promise<Error> {
    if (reply && "error" in reply) {
      const Cls = errorClasses[reply.error.name];
      return Cls ? new Cls(reply.error.message) : new Error(reply.error.message);
    }
    this.proc.kill(9);
    const code = await this.proc.exited;
    const how = this.proc.signalCode ? String(this.proc.signalCode) : `exit ${code}`;
    return new Error(`layer apply process failed (${how})`);
  }
}

const idle: ApplyProcess[] = [];

/** Processes waiting for a layer (for tests and diagnostics). */
export function idleApplyProcesses(): number {
  return idle.length;
}

function takeProcess(): ApplyProcess {
  for (let p = idle.pop(); p; p = idle.pop()) {
    if (p.exited) continue;
    p.take();
    return p;
  }
  return new ApplyProcess();
}

async function applyInChild(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, target: string, opts: ApplyOptions): Promise<ApplyResult> {
  const file = followedFileOf(source);
  const start: ChildStart = {
    target,
    opts: {
      resolvedTarget: opts.resolvedTarget, whiteoutMode: opts.whiteoutMode, devices: opts.devices, chown: opts.chown,
      zstdDecoder: opts.zstdDecoder, knownDigest: opts.knownDigest, engine: opts.engine,
      hashThread: opts.hashThread, blobSize: opts.blobSize ?? file?.size,
    },
    // Opened anew by the process: the file may be renamed or unlinked meanwhile, this descriptor stays valid.
    ...(file ? { file: `/proc/${process.pid}/fd/${file.fd}` } : {}),
  };
  const p = takeProcess();
  const reply = p.replies.line().then((l) => (l === undefined ? undefined : (JSON.parse(l) as ChildReply)));
  let answered = false;
  void reply.then(() => (answered = true), () => (answered = true));
  let sourceError: unknown;
  try {
    try {
      let open = await p.send(`S ${JSON.stringify(start)}\n`);
      if (file) {
        for await (const line of lengthLines(file.lengths())) {
          if (!open || answered) break; // it failed early: its reply is the answer
          open = await p.send(line);
        }
      } else {
        for await (const chunk of source as AsyncIterable<Uint8Array>) {
          if (!open || answered) break;
          open = await p.send(`D ${chunk.length}\n`, chunk);
        }
      }
      if (open && !answered) await p.send("E\n");
    } catch (e) {
      sourceError = e;
    }
    if (sourceError !== undefined) {
      // Stop the process writing before the caller removes the target, then report the source's failure.
      await p.kill();
      throw sourceError;
    }
    // A reply that cannot be read (the process died) is told by how the process ended, in failure().
    const got = await reply.catch(() => undefined);
    if (got && "result" in got) {
      p.park(() => {
        const i = idle.indexOf(p);
        if (i >= 0) idle.splice(i, 1);
      });
      idle.push(p);
      return got.result;
    }
    throw await p.failure(got);
  } finally {
    // Every way here has waited for the process to stop reading.
    await file?.close();
  }
}

/**
 * A followed file's lengths as L frames, one once another MiB is written (the
 * process reads a MiB at a time) and one for the last: a download grows its
 * file by tens of kB a write, and a frame for each cost both processes a
 * wakeup each (a 5-layer pull: ~0.5 s of CPU).
 */
async function* lengthLines(lengths: AsyncIterable<number>): AsyncGenerator<string> {
  let told = 0;
  let last = 0;
  for await (const n of lengths) {
    last = n;
    if (n - told < LINE_STEP) continue;
    told = n;
    yield `L ${n}\n`;
  }
  if (last > told) yield `L ${last}\n`;
}
const LINE_STEP = 1 << 20;
