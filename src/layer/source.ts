// Byte sources the layer code accepts: web streams, async or plain iterables.
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

export function iteratorOf(source: ByteSource): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  const s = source as Partial<AsyncIterable<Uint8Array> & Iterable<Uint8Array>>;
  if (typeof s[Symbol.asyncIterator] === "function") return s[Symbol.asyncIterator]!();
  if (typeof s[Symbol.iterator] === "function") return s[Symbol.iterator]!();
  throw new TypeError("not a byte source (expected a ReadableStream or an iterable of Uint8Array)");
}

/**
 * A file that another party is still writing, readable by descriptor in this
 * process: a layer-apply worker reads it itself, into one reused buffer,
 * instead of being posted a fresh copy of every chunk. `lengths` tells how far
 * the file is written as it grows, ends when the writer is done and throws if
 * it failed; `close` gives the descriptor back once the reading is over.
 */
export interface FollowedFile {
  fd: number;
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
