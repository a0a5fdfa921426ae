// Layer compression: sniff the magic bytes, then decompress or compress as a
// stream with bounded memory. gzip uses node:zlib with 1 MiB output chunks
// (twice as fast as the 16 KiB default here); zstd has two decoders — Bun's
// native node:zlib one and zstd-codec's streaming binding (WASM) — so tests
// can cross-check them and the benchmark picks the default.
import { nodeStream, nodeZlib } from "../builtins.ts";
import type { Transform } from "node:stream";
import { BerthError, InvalidDataError } from "../errors.ts";
import { iteratorOf, type ByteSource } from "./source.ts";

export type Compression = "gzip" | "zstd" | "none";
export type ZstdDecoder = "native" | "zstd-codec";

/** Chosen by scripts/bench/zstd-decode.ts (see the report in docs/PERFORMANCE.md). */
export const defaultZstdDecoder: ZstdDecoder = "native";

const OUT_CHUNK = 1 << 20;

/** Compression named by the first bytes of a blob; throws for formats layers may not use. */
export function detectCompression(head: Uint8Array): Compression {
  const b = (i: number) => head[i];
  if (b(0) === 0x1f && b(1) === 0x8b) return "gzip";
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return "zstd";
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58 && b(4) === 0x5a && b(5) === 0x00) {
    throw new InvalidDataError("unsupported layer compression: xz (only gzip, zstd or uncompressed tar are accepted)");
  }
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68) {
    throw new InvalidDataError("unsupported layer compression: bzip2 (only gzip, zstd or uncompressed tar are accepted)");
  }
  return "none";
}

export type { ByteSource } from "./source.ts";

/** Reads at least `n` bytes (unless the source is shorter) and gives them back with a stream that replays them. */
export async function peek(source: ByteSource, n: number): Promise<{ head: Uint8Array; stream: AsyncIterable<Uint8Array> }> {
  const it = iteratorOf(source);
  const first: Uint8Array[] = [];
  let have = 0;
  let ended = false;
  while (have < n) {
    const r = await it.next();
    if (r.done) { ended = true; break; }
    if (r.value.length === 0) continue;
    have += r.value.length;
    // A chunk kept while the next is read is copied: a source may reuse its buffer (a worker's file reader does).
    first.push(have < n ? new Uint8Array(r.value) : r.value);
  }
  const head = first.length === 1 ? first[0]! : Buffer.concat(first);
  async function* stream(): AsyncGenerator<Uint8Array> {
    try {
      if (have > 0) yield head;
      if (ended) return;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      await it.return?.();
    }
  }
  return { head: head.subarray(0, Math.max(have, 0)), stream: stream() };
}

/** Decompresses `source` (already known to be `kind`) as a stream. */
export function decompress(source: AsyncIterable<Uint8Array>, kind: Compression, opts: { zstd?: ZstdDecoder } = {}): AsyncIterable<Uint8Array> {
  if (kind === "none") return source;
  if (kind === "gzip") return throughNode(source, nodeZlib().createGunzip({ chunkSize: OUT_CHUNK }), "gzip");
  if ((opts.zstd ?? defaultZstdDecoder) === "native") return throughNode(source, nodeZlib().createZstdDecompress({ chunkSize: OUT_CHUNK }), "zstd");
  return zstdCodecDecompress(source);
}

/**
 * The native handle under a node:zlib stream and the state it reports into:
 * Node's own zlib.js drives it this way for its sync calls, and Bun keeps it.
 * Through it a decoder writes into memory the caller owns.
 */
interface ZlibInternals {
  _handle?: {
    writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
    onerror: (message: string) => void;
  };
  /** [output space left, input left] after each write. */
  _writeState?: Uint32Array;
  _defaultFlushFlag: number;
  _finishFlushFlag: number;
  close(): void;
}

/** Output buffers of finished decodes, for the next one (per thread: a worker keeps its own). */
const spareOutputs: Uint8Array[] = [];
const EMPTY = new Uint8Array(0);

/**
 * Like decompress(), but every chunk is a view of one output buffer that the
 * next chunk overwrites: the consumer must be done with a chunk before it
 * asks for the next (applyLayer is: it walks, hashes and writes each one at
 * once). A layer of any size then decodes into the same 1 MiB, where fresh
 * buffers per chunk cost a page fault every 4 KiB on hosts that back memory
 * lazily. Falls back to decompress() where the native handle is missing.
 */
export async function* decompressReusing(source: AsyncIterable<Uint8Array>, kind: Compression, opts: { zstd?: ZstdDecoder } = {}): AsyncGenerator<Uint8Array> {
  const native = kind === "gzip" || (kind === "zstd" && (opts.zstd ?? defaultZstdDecoder) === "native");
  if (!native) return yield* decompress(source, kind, opts);
  const z = (kind === "gzip" ? nodeZlib().createGunzip() : nodeZlib().createZstdDecompress()) as unknown as ZlibInternals;
  const handle = z._handle;
  const state = z._writeState;
  if (typeof handle?.writeSync !== "function" || !state) {
    z.close();
    return yield* decompress(source, kind, opts);
  }
  let failure: string | undefined;
  handle.onerror = (message) => void (failure ??= message);
  const out = spareOutputs.pop() ?? new Uint8Array(OUT_CHUNK);
  /** Decodes `input` with `flush`, each full buffer handed out in turn; true when the stream ended before the input did. */
  function* decode(input: Uint8Array, flush: number): Generator<Uint8Array, boolean> {
    let off = 0;
    let left = input.length;
    for (;;) {
      handle!.writeSync(flush, input, off, left, out, 0, out.length);
      if (failure !== undefined) throw new InvalidDataError(`invalid layer: ${kind} stream is corrupt: ${failure}`);
      const [outLeft, inLeft] = [state![0]!, state![1]!];
      if (outLeft < out.length) yield out.subarray(0, out.length - outLeft);
      off += left - inLeft;
      left = inLeft;
      // Output space to spare means the decoder took all it wanted: the input is used up, or its stream ended.
      if (outLeft !== 0) return left > 0;
    }
  }
  try {
    let ended = false;
    for await (const chunk of source) {
      // Bytes after the compressed stream are read (the caller's digest covers them) but not decoded, as node:zlib's stream does.
      if (!ended) ended = yield* decode(chunk, z._defaultFlushFlag);
    }
    yield* decode(EMPTY, z._finishFlushFlag);
  } finally {
    z.close();
    if (spareOutputs.length < 4) spareOutputs.push(out);
  }
}

/** The tar inside a layer blob of any accepted compression (sniffed from its first bytes). */
export async function* uncompressed(source: ByteSource, opts: { zstd?: ZstdDecoder } = {}): AsyncGenerator<Uint8Array> {
  const { head, stream } = await peek(source, 6);
  yield* decompress(stream, detectCompression(head), opts);
}

export interface CompressOptions {
  /** gzip 1–9 (default 6), zstd 1–19 (default 3). */
  level?: number;
}

export function compress(source: AsyncIterable<Uint8Array>, kind: "gzip" | "zstd", opts: CompressOptions = {}): AsyncIterable<Uint8Array> {
  const t =
    kind === "gzip"
      ? nodeZlib().createGzip({ level: opts.level ?? 6, chunkSize: OUT_CHUNK })
      : nodeZlib().createZstdCompress({ chunkSize: OUT_CHUNK, params: { [nodeZlib().constants.ZSTD_c_compressionLevel]: opts.level ?? 3 } });
  return throughNode(source, t, kind, false);
}

/**
 * Pipes an async iterable through a node:zlib transform. Errors of the
 * codec become InvalidDataError (corrupt layer); errors of the source pass
 * through unchanged.
 */
async function* throughNode(source: AsyncIterable<Uint8Array>, t: Transform, name: string, decoding = true): AsyncGenerator<Uint8Array> {
  let sourceError: unknown;
  async function* tapped() {
    try {
      yield* source;
    } catch (e) {
      sourceError = e;
      throw e;
    }
  }
  const input = nodeStream().Readable.from(tapped(), { objectMode: false });
  input.on("error", (e) => t.destroy(e));
  input.pipe(t);
  try {
    for await (const chunk of t) yield chunk as Uint8Array;
  } catch (e) {
    if (e === sourceError || e instanceof BerthError || !decoding) throw e;
    throw new InvalidDataError(`invalid layer: ${name} stream is corrupt: ${(e as Error).message}`);
  } finally {
    input.destroy();
    t.destroy();
  }
}

interface ZstdCodecBinding {
  ZstdDecompressStreamBinding: new () => {
    begin(): boolean;
    transform(chunk: Uint8Array, cb: (out: Uint8Array) => void): boolean;
    end(cb: (out: Uint8Array) => void): boolean;
    delete(): void;
  };
}
let codec: Promise<{ m: ZstdCodecBinding }> | undefined;

/**
 * zstd-codec's emscripten Module is thenable: a promise resolved with it (or a
 * `then` returning it) never settles. Keep it wrapped in an object.
 */
function loadZstdCodec(): Promise<{ m: ZstdCodecBinding }> {
  // @ts-ignore: the package ships no types; a literal specifier keeps it in `bun build --compile`.
  codec ??= import("zstd-codec/lib/module.js").then(
    (mod: any) => new Promise<{ m: ZstdCodecBinding }>((r) => (mod.run ?? mod.default.run)((m: ZstdCodecBinding) => r({ m }))),
  );
  return codec;
}

async function* zstdCodecDecompress(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const binding = (await loadZstdCodec()).m;
  const s = new binding.ZstdDecompressStreamBinding();
  const corrupt = () => new InvalidDataError("invalid layer: zstd stream is corrupt");
  try {
    if (!s.begin()) throw corrupt();
    let out: Uint8Array[] = [];
    const collect = (b: Uint8Array) => { out.push(b); };
    for await (const chunk of source) {
      if (!s.transform(chunk, collect)) throw corrupt();
      if (out.length) { yield out.length === 1 ? out[0]! : Buffer.concat(out); out = []; }
    }
    if (!s.end(collect)) throw corrupt();
    if (out.length) yield Buffer.concat(out);
  } finally {
    s.delete();
  }
}
