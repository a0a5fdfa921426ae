// Streaming tar writer: entries and their bodies in, tar bytes out (as an
// async iterable or a ReadableStream). Small pieces (headers, small files)
// are batched into ~1 MiB chunks; big bodies pass through without copies.
import { InvalidDataError } from "../../errors.ts";
import type { TarEntry, TarHeaderEncoder } from "./types.ts";
import { TarStreamEncoder } from "./encoder.ts";

export type TarBody = Uint8Array | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface TarWriteItem {
  entry: TarEntry;
  /** Required for files with size > 0; must hold exactly entry.size bytes. */
  body?: TarBody;
}

export interface TarWriteOptions {
  encoder?: TarHeaderEncoder;
}

const BATCH = 1 << 20;

export async function* writeTar(
  items: AsyncIterable<TarWriteItem> | Iterable<TarWriteItem>,
  opts: TarWriteOptions = {},
): AsyncGenerator<Uint8Array> {
  const enc = opts.encoder ?? new TarStreamEncoder();
  let batch = new Uint8Array(BATCH);
  let fill = 0;
  function* add(b: Uint8Array): Generator<Uint8Array> {
    if (b.length >= BATCH / 4) {
      if (fill > 0) { yield batch.subarray(0, fill); batch = new Uint8Array(BATCH); fill = 0; }
      yield b;
      return;
    }
    if (fill + b.length > BATCH) { yield batch.subarray(0, fill); batch = new Uint8Array(BATCH); fill = 0; }
    batch.set(b, fill);
    fill += b.length;
  }
  for await (const { entry, body } of items as AsyncIterable<TarWriteItem>) {
    yield* add(enc.header(entry));
    const size = entry.type === "file" ? entry.size : 0;
    let written = 0;
    if (body !== undefined) {
      const parts: AsyncIterable<Uint8Array> | Uint8Array[] = body instanceof Uint8Array ? [body] : (body as AsyncIterable<Uint8Array>);
      for await (const part of parts) {
        written += part.length;
        if (written > size) throw new InvalidDataError(`tar: ${entry.path} has more data than its size ${size}`);
        yield* add(part);
      }
    }
    if (written !== size) throw new InvalidDataError(`tar: ${entry.path} has ${written} bytes of data, expected ${size}`);
    yield* add(enc.padding(size));
  }
  yield* add(enc.end());
  if (fill > 0) yield batch.subarray(0, fill);
}

/** The same bytes as a web stream (for Response bodies and the Engine API). */
export function toReadableStream(gen: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = gen[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const r = await it.next();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}

export function tarStream(items: AsyncIterable<TarWriteItem> | Iterable<TarWriteItem>, opts?: TarWriteOptions): ReadableStream<Uint8Array> {
  return toReadableStream(writeTar(items, opts));
}
