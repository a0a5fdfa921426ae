// SHA-256 on a second core: a layer's bytes are copied into a ring shared
// with a hash thread (ring.ts, hash-worker.ts) and hashed there while this
// thread walks the tar and makes its files. Hashing is the biggest cost of an
// uncompressed or zstd layer's apply after the writes themselves (~1.5 GB/s
// per core here, where tar does no hashing at all).
//
// One hash thread per process that applies layers, started on first use and
// stopped after a while without work. A thread that cannot be had in time
// (see hashThread) means hashing here, as before.
import { Ctl, metaAt, newRingBuffer, Op, ringOf, slotOf, SLOT_SIZE, SLOTS, type Ring } from "./ring.ts";
import type { Sha256 } from "./types.ts";

/** How long a hash thread may show no progress before the feeder gives up on it. */
const STALL_MS = 60_000;
/** An idle hash thread stops after this long (an idle daemon keeps no thread for layers). */
const IDLE_MS = 20_000;

function workerEntry(): string {
  // In the executable every entry point sits under /$bunfs/root/ by its source path, and Bun.main
  // names the running thread's own entry: the root is its prefix.
  const root = /^.*\/\$bunfs\/root\//.exec(Bun.main)?.[0];
  if (root && import.meta.url.includes("/$bunfs/")) return `${root}layer/hash/hash-worker.js`;
  return new URL("./hash-worker.ts", import.meta.url).href;
}

export class HashThread {
  private tail = 0;
  private nextId = 1;
  private users = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  readonly ring: Ring;

  constructor(private worker: Worker, buffer: SharedArrayBuffer, private onStop: () => void) {
    this.ring = ringOf(buffer);
  }

  /** Holds the thread for one apply; release() when done. */
  use(): void {
    this.users++;
    clearTimeout(this.idleTimer);
  }

  release(): void {
    if (--this.users > 0) return;
    this.idleTimer = setTimeout(() => this.stop(), IDLE_MS);
    this.idleTimer.unref?.();
  }

  stop(): void {
    this.onStop();
    Atomics.store(this.ring.ctl, Ctl.Stop, 1);
    Atomics.notify(this.ring.ctl, Ctl.Tail);
    this.worker.unref();
  }

  newId(): number {
    return this.nextId++;
  }

  /** Queues an operation; returns its slot once the slot is the caller's to fill. */
  private push(op: Op, id: number, fill?: (slot: Uint8Array) => number): number {
    const { ctl, meta } = this.ring;
    this.waitFor(() => this.tail - Atomics.load(ctl, Ctl.Head) < SLOTS);
    const slot = slotOf(this.tail);
    const m = metaAt(slot);
    meta[m] = op;
    meta[m + 1] = id;
    meta[m + 2] = fill ? fill(this.ring.data(slot)) : 0;
    this.tail++;
    Atomics.store(ctl, Ctl.Tail, this.tail);
    Atomics.notify(ctl, Ctl.Tail);
    return slot;
  }

  update(id: number, data: Uint8Array): void {
    for (let off = 0; off < data.length; off += SLOT_SIZE) {
      const part = data.subarray(off, Math.min(off + SLOT_SIZE, data.length));
      this.push(Op.Update, id, (slot) => (slot.set(part), part.length));
    }
  }

  digest(id: number): Uint8Array {
    const slot = this.push(Op.Digest, id);
    const done = this.tail;
    this.waitFor(() => Atomics.load(this.ring.ctl, Ctl.Head) >= done);
    return this.ring.data(slot).slice(0, 32);
  }

  drop(id: number): void {
    this.push(Op.Drop, id);
  }

  /** Blocks until `ready` holds: the hash thread is behind by a few slots at most. */
  private waitFor(ready: () => boolean): void {
    const { ctl } = this.ring;
    let seen = Atomics.load(ctl, Ctl.Head);
    let since = performance.now();
    while (!ready()) {
      Atomics.wait(ctl, Ctl.Head, seen, 1000);
      const head = Atomics.load(ctl, Ctl.Head);
      if (head !== seen) {
        seen = head;
        since = performance.now();
      } else if (performance.now() - since > STALL_MS) {
        throw new Error("the layer hash thread stopped working");
      }
    }
  }
}

let current: HashThread | undefined;
let starting: Promise<HashThread | undefined> | undefined;

/**
 * This thread's hash thread, started if need be; undefined when it failed to
 * start, or did not come up within `waitMs` (the caller then hashes itself).
 * A start takes ~20 ms here; the long default only bounds a thread that hangs.
 */
export async function hashThread(waitMs = 10_000): Promise<HashThread | undefined> {
  if (current) return current;
  starting ??= start(waitMs).finally(() => (starting = undefined));
  return starting;
}

async function start(waitMs: number): Promise<HashThread | undefined> {
  const buffer = newRingBuffer();
  const ctl = ringOf(buffer).ctl;
  let worker: Worker;
  try {
    worker = new Worker(workerEntry());
  } catch {
    return undefined;
  }
  worker.unref();
  const came = await new Promise<boolean>((resolve) => {
    worker.onerror = () => resolve(false); // a missing entry, a failed load: no thread, at once
    worker.postMessage(buffer);
    const r = Atomics.waitAsync(ctl, Ctl.Ready, 0, waitMs);
    if (r.async) void r.value.then(() => resolve(Atomics.load(ctl, Ctl.Ready) === 1));
    else resolve(Atomics.load(ctl, Ctl.Ready) === 1);
  });
  worker.onerror = null;
  if (!came) {
    Atomics.store(ctl, Ctl.Stop, 1);
    worker.terminate();
    return undefined;
  }
  const thread: HashThread = new HashThread(worker, buffer, () => {
    if (current === thread) current = undefined;
  });
  current = thread;
  return thread;
}

/** A SHA-256 whose bytes are hashed on the hash thread. */
export class ThreadedSha256 implements Sha256 {
  private id: number;
  private done = false;

  constructor(private thread: HashThread) {
    this.id = thread.newId();
  }

  update(data: Uint8Array): void {
    this.thread.update(this.id, data);
  }

  digestHex(): string {
    this.done = true;
    return Buffer.from(this.thread.digest(this.id)).toString("hex");
  }

  /** Frees the hash state when the digest was never asked for (an apply that failed). */
  dispose(): void {
    if (!this.done) this.thread.drop(this.id);
    this.done = true;
  }
}
