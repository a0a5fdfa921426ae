// Byte sources the layer code accepts: web streams, async or plain iterables.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

export function iteratorOf(source: ByteSource): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  const s = source as Partial<AsyncIterable<Uint8Array> & Iterable<Uint8Array>>;
  if (typeof s[Symbol.asyncIterator] === "function") return s[Symbol.asyncIterator]!();
  if (typeof s[Symbol.iterator] === "function") return s[Symbol.iterator]!();
  throw new TypeError("not a byte source (expected a ReadableStream or an iterable of Uint8Array)");
}

/**
 * A file that another party is still writing, readable by descriptor: the
 * layer applier reads it itself (an apply process is handed the descriptor),
 * into one reused buffer, instead of being given a fresh copy of every chunk. `lengths` tells how far
 * the file is written as it grows, ends when the writer is done and throws if
 * it failed; `close` gives the descriptor back once the reading is over.
 */
export interface FollowedFile {
  fd: number;
  /** The whole file's size, when known from the start. */
  size?: number;
  lengths(): AsyncIterable<number>;
  close(): Promise<void>;
}

const followed = Symbol("berth.followedFile");

/** `source`, which reads the file chunk by chunk, with the file itself for a reader that can take it. */
export function withFollowedFile<T extends object>(source: T, file: FollowedFile): T {
  return Object.assign(source, { [followed]: file });
}

export function followedFileOf(source: unknown): FollowedFile | undefined {
  return (source as { [followed]?: FollowedFile } | null)?.[followed];
}

/**
 * The bytes of a followed file from its start, as far as `lengths` says it is
 * written, read into `buf`: each chunk is a view of it that the next one
 * overwrites, so a layer of any size is read through the same memory.
 */
export async function* followedChunks(fd: number, lengths: AsyncIterable<number>, buf: Uint8Array): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for await (const written of lengths) {
    while (offset < written) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, written - offset), offset);
      if (n === 0) throw new Error("the layer file is shorter than what was written to it");
      offset += n;
      yield buf.subarray(0, n);
    }
  }
}

const FILE_CHUNK = 1 << 20;

/**
 * A whole file as a byte source. Read as chunks, each is a fresh buffer (a
 * consumer may keep them); the layer applier takes the file itself instead
 * (followedFileOf) and reads it into memory it reuses.
 */
export function fileSource(path: string): AsyncGenerator<Uint8Array> {
  const fd = openSync(path, "r");
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    closeSync(fd);
  };
  const size = fstatSync(fd).size;
  async function* lengths(): AsyncGenerator<number> {
    yield size;
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for (let offset = 0; offset < size;) {
        const buf = new Uint8Array(Math.min(FILE_CHUNK, size - offset));
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n === 0) throw new Error(`${path}: the file is shorter than it was`);
        offset += n;
        yield n === buf.length ? buf : buf.subarray(0, n);
      }
    } finally {
      close();
    }
  }
  return withFollowedFile(chunks(), { fd, size, lengths, close: async () => close() });
}
