// applyLayer on a worker thread: the caller's thread reads the source and
// posts its chunks (a few in flight at a time), the worker decompresses,
// hashes and writes (with the layer engine named in the options). Same result
// and errors as src/layer/apply.ts; options with factories (walker, sha256)
// stay on the caller's thread.
import { BerthError, InvalidDataError, InvalidParameterError, NotFoundError, SystemError } from "../../errors.ts";
import { applyLayer, type ApplyOptions, type ApplyResult } from "../apply.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { followedFileOf } from "../source.ts";
import { Limiter } from "../../shared/limiter.ts";
import { dirname } from "node:path";

/** Chunks posted but not yet taken by the worker: bounds the memory a fast source can fill. */
const IN_FLIGHT = 8;

const errorClasses: Record<string, new (message: string) => BerthError> = {
  InvalidDataError, InvalidParameterError, NotFoundError, SystemError,
};

function rebuild(name: string, message: string): Error {
  const Cls = errorClasses[name];
  return Cls ? new Cls(message) : new Error(message);
}

/**
 * The worker's entry point. In the executable, a split chunk's import.meta.url
 * names the chunk, not this file: the worker is found by where the build put
 * it, beside the main entry (a relative path would resolve against the cwd).
 */
function workerEntry(): string {
  if (import.meta.url.includes("/$bunfs/")) return `${dirname(Bun.main)}/layer/worker/apply-worker.js`;
  return new URL("./apply-worker.ts", import.meta.url).href;
}

/** Idle workers, warm (their code compiled by the JIT) for the next layer. */
const idle: { worker: Worker; timer: ReturnType<typeof setTimeout> }[] = [];
const MAX_IDLE = 4;
/** An idle worker goes after this long: an idle daemon keeps no thread or heap for layers. */
const IDLE_MS = 20_000;

/** Workers kept for the next layer (for tests and diagnostics). */
export function idleWorkerCount(): number {
  return idle.length;
}

function takeWorker(): Worker {
  const kept = idle.pop();
  if (!kept) return new Worker(workerEntry());
  clearTimeout(kept.timer);
  kept.worker.ref();
  return kept.worker;
}

/** Keeps a worker that finished its layer cleanly; any other ends it. */
function releaseWorker(worker: Worker, clean: boolean): void {
  if (!clean || idle.length >= MAX_IDLE) return void worker.terminate();
  worker.onmessage = null;
  worker.onerror = null;
  worker.unref();
  const entry = {
    worker,
    timer: setTimeout(() => {
      idle.splice(idle.indexOf(entry), 1);
      worker.terminate();
    }, IDLE_MS),
  };
  entry.timer.unref?.();
  idle.push(entry);
}

const CORES = Math.max(1, navigator.hardwareConcurrency || 1);
/**
 * Layers applied at once. One more than the cores keeps them busy while one
 * waits for its download or the disk; more would only start more threads, each
 * with a heap and JIT work of its own to warm (1-2k fresh pages each, cold).
 * The others wait their turn, their bytes still landing in their files.
 */
export const APPLIES_AT_ONCE = Math.min(6, CORES + 1);
const running = new Limiter(APPLIES_AT_ONCE);
let applying = 0;

export async function applyLayerInWorker(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, target: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
  if (opts.walker || opts.sha256) return applyLayer(source, target, opts);
  await running.acquire();
  // A hash thread only where a core is left for it: beside other applies it would take theirs.
  const hashThread = opts.hashThread ?? (applying + 1 < CORES ? undefined : false);
  applying++;
  try {
    return await applyOnWorker(source, target, { ...opts, hashThread });
  } finally {
    applying--;
    running.release();
  }
}

async function applyOnWorker(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, target: string, opts: ApplyOptions): Promise<ApplyResult> {
  const worker = takeWorker();
  let clean = false;
  let inFlight = 0;
  let resume: (() => void) | undefined;
  let settle!: { resolve: (r: ApplyResult) => void; reject: (e: Error) => void };
  const finished = new Promise<ApplyResult>((resolve, reject) => (settle = { resolve, reject }));
  finished.catch(() => {}); // observed below; a failure before that must not be "unhandled"
  let over = false;
  worker.onmessage = (ev: MessageEvent<FromWorker>) => {
    const m = ev.data;
    if (m.kind === "ack") {
      inFlight--;
      resume?.();
    } else {
      over = true;
      resume?.();
      if (m.kind === "done") settle.resolve(m.result);
      else settle.reject(rebuild(m.name, m.message));
    }
  };
  worker.onerror = (ev) => {
    over = true;
    resume?.();
    settle.reject(new Error(`layer apply worker failed: ${ev.message}`));
  };
  const send = (m: ToWorker) => worker.postMessage(m);
  // A file still being written is read by the worker itself (one reader, one reused buffer); it is told how far it may read.
  const file = followedFileOf(source);
  try {
    send({
      kind: "start", target,
      opts: {
        resolvedTarget: opts.resolvedTarget, whiteoutMode: opts.whiteoutMode, devices: opts.devices, chown: opts.chown,
        zstdDecoder: opts.zstdDecoder, knownDigest: opts.knownDigest, engine: opts.engine,
        hashThread: opts.hashThread, blobSize: opts.blobSize ?? file?.size,
      },
      ...(file ? { fd: file.fd } : {}),
    });
    let sourceError: unknown;
    try {
      if (file) {
        for await (const to of file.lengths()) {
          if (over) break;
          send({ kind: "grew", to });
        }
      } else for await (const chunk of source as AsyncIterable<Uint8Array>) {
        if (over) break; // the worker failed early: its error is the answer
        // A copy of just this view, handed over without another copy (cloning a view copies its whole
        // buffer). Not chunk.slice(): on a Buffer that is a view, and handing it over would detach
        // the memory the caller (or Buffer's pool) still uses.
        const data = new Uint8Array(chunk);
        worker.postMessage({ kind: "chunk", data } satisfies ToWorker, [data.buffer]);
        inFlight++;
        while (inFlight >= IN_FLIGHT && !over) await new Promise<void>((r) => (resume = r));
        resume = undefined;
      }
    } catch (e) {
      sourceError = e;
    }
    if (sourceError !== undefined) {
      // Stop the worker writing before the caller removes the target, then report the source's failure.
      send({ kind: "abort", message: String((sourceError as Error)?.message ?? sourceError) });
      await finished.catch(() => {}); // the source's error is the one to report
      throw sourceError;
    }
    send({ kind: "end" });
    const result = await finished;
    clean = true;
    return result;
  } finally {
    // Every way here has waited for the worker to stop reading.
    await file?.close();
    releaseWorker(worker, clean);
  }
}
