// The memory a hash thread shares with the thread that feeds it: a ring of
// slots, each holding one operation (bytes to add to a hash, or a request for
// a digest) and its data. The feeder fills slots and moves `tail`; the hash
// thread works through them and moves `head`. Both wait on these counters with
// Atomics, so the hashing goes on while the feeder's thread is busy elsewhere
// (walking the tar, creating files) without a message per chunk.

/** Bytes per slot: a chunk bigger than this takes several. */
export const SLOT_SIZE = 1 << 20;
/** Slots in the ring: how far the feeder may run ahead. */
export const SLOTS = 4;

/** Indices into the control words. */
export const enum Ctl { Tail, Head, Stop, Ready }
const CTL_WORDS = 4;
/** Per slot: operation, hash id, length. */
const META_WORDS = 3;

export const enum Op { Update = 1, Digest = 2, Drop = 3 }

export interface Ring {
  buffer: SharedArrayBuffer;
  ctl: Int32Array;
  meta: Int32Array;
  data(slot: number): Uint8Array;
}

export function newRingBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * (CTL_WORDS + META_WORDS * SLOTS) + SLOT_SIZE * SLOTS);
}

export function ringOf(buffer: SharedArrayBuffer): Ring {
  const dataAt = 4 * (CTL_WORDS + META_WORDS * SLOTS);
  return {
    buffer,
    ctl: new Int32Array(buffer, 0, CTL_WORDS),
    meta: new Int32Array(buffer, 4 * CTL_WORDS, META_WORDS * SLOTS),
    data: (slot) => new Uint8Array(buffer, dataAt + slot * SLOT_SIZE, SLOT_SIZE),
  };
}

export const slotOf = (n: number) => n % SLOTS;
export const metaAt = (slot: number) => slot * META_WORDS;
