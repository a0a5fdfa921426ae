// Applies a layer blob to a directory in one pass: sniff the compression,
// decompress as a stream, hash the raw bytes (digest) and the tar (diffID),
// walk the tar and write its entries — nothing outside `target` is touched
// (see apply/scope.ts). On error the caller removes `target`.
//
// whiteoutMode "delete": `.wh.NAME` removes NAME and `.wh..wh..opq` empties
// the dir of older content — for applying layers in order into one rootfs.
// whiteoutMode "overlay": the layer's own snapshot dir for overlayfs: a
// whiteout becomes a 0/0 char device, an opaque dir gets
// trusted.overlay.opaque=y.
import { mkdirSync, realpathSync } from "node:fs";
import type { Sha256 } from "./hash/types.ts";
import { NativeSha256 } from "./hash/native.ts";
import { hashThread, ThreadedSha256 } from "./hash/threaded.ts";
import type { TarWalker } from "./tar/types.ts";
import { newTarStreamWalker } from "./tar/walker.ts";
import { decompressReusing, detectCompression, peek, type ByteSource, type Compression, type ZstdDecoder } from "./compression.ts";
import { LayerWriter, type WhiteoutMode } from "./apply/writer.ts";
import { defaultLayerEngine, engineParts, type EngineParts, type LayerEngine } from "./engine.ts";
import { followedChunks, followedFileOf } from "./source.ts";

export type { WhiteoutMode } from "./apply/writer.ts";

export interface ApplyOptions {
  /**
   * The target is already free of symlinks: use it as given. Needed under
   * /proc/PID/root, which realpath would turn into the host's "/".
   */
  resolvedTarget?: boolean;
  /** Default "overlay" (a snapshot dir for overlayfs). */
  whiteoutMode?: WhiteoutMode;
  /** Device nodes in the layer: "create", "skip" (default) or "refuse". Whiteouts are not affected. */
  devices?: "create" | "skip" | "refuse";
  /** lchown entries to their uid/gid; default: when running as root. */
  chown?: boolean;
  /** The host owner of an entry's uid/gid (cp into a remapped container's files: its ids shifted into its range); default: as in the tar. */
  hostOwner?: (uid: number, gid: number) => { uid: number; gid: number };
  /** Which walker and hasher (default "native"); `walker` and `sha256` override it. */
  engine?: LayerEngine;
  /** Tar walker factory (default: the engine's; src/layer/wasm has the WASM one). */
  walker?: () => TarWalker;
  /** SHA-256 factory (default: Bun.CryptoHasher). */
  sha256?: () => Sha256;
  zstdDecoder?: ZstdDecoder;
  /**
   * Hash on a second core (src/layer/hash/threaded.ts) while this thread
   * makes the files. Default: for a blob of HASH_THREAD_MIN bytes or more
   * (`blobSize`, or the size of a file source). Only with the native engine
   * and no `sha256` of the caller's.
   */
  hashThread?: boolean;
  /** The blob's size, when the caller knows it. */
  blobSize?: number;
  /**
   * The blob's digest when the caller verifies the bytes itself (a pull checks
   * them as they arrive): the applier then does not hash them a second time.
   */
  knownDigest?: string;
}

export interface ApplyResult {
  /** "sha256:…" of the uncompressed tar. */
  diffID: string;
  /** Uncompressed bytes. */
  size: number;
  /** "sha256:…" of the bytes as received. */
  digest: string;
  compression: Compression;
  /** The engine that walked and hashed the layer (none when the caller gave its own walker or hasher). */
  engine?: LayerEngine;
  /** Set when the hashing was done on a second core (ApplyOptions.hashThread). */
  hashThread?: true;
  entries: number;
  /** Regular files' and symlinks' sizes, as dockerd sizes a layer. */
  contentSize: number;
  skippedDevices: number;
  /** "path: name" of security.* / trusted.* xattrs the filesystem refused. */
  skippedXattrs: string[];
}

/** A blob this big (or bigger) is hashed on a second core: starting the hash thread costs less than its hashing. */
export const HASH_THREAD_MIN = 32 << 20;

export async function applyLayer(source: ByteSource, target: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
  mkdirSync(target, { recursive: true, mode: 0o755 });
  const root = opts.resolvedTarget ? target : realpathSync(target);
  const parts = opts.engine && opts.engine !== defaultLayerEngine ? await engineParts(opts.engine) : undefined;
  const writer = new LayerWriter(root, {
    whiteoutMode: opts.whiteoutMode ?? "overlay",
    devices: opts.devices ?? "skip",
    chown: opts.chown ?? process.getuid?.() === 0,
  });

  // A file is read by descriptor into reused memory, not through the chunks its source would allocate.
  const file = followedFileOf(source);
  const big = (opts.blobSize ?? file?.size ?? 0) >= HASH_THREAD_MIN;
  const thread = (opts.hashThread ?? big) && !opts.sha256 && !parts ? await hashThread() : undefined;
  const newHash = opts.sha256 ?? parts?.sha256 ?? (thread ? () => new ThreadedSha256(thread) : () => new NativeSha256());
  const readBuffer = file ? spareReadBuffers.pop() ?? new Uint8Array(READ_SIZE) : undefined;
  thread?.use();
  try {
    const result = await applyFrom(file ? followedChunks(file.fd, file.lengths(), readBuffer!) : source, writer, newHash, opts, parts);
    return thread ? { ...result, hashThread: true } : result;
  } finally {
    thread?.release();
    await file?.close();
    if (readBuffer && spareReadBuffers.length < 4) spareReadBuffers.push(readBuffer);
  }
}

/** Read buffers of finished applies, for the next one on this thread. */
const spareReadBuffers: Uint8Array[] = [];
const READ_SIZE = 1 << 20;

async function applyFrom(source: ByteSource, writer: LayerWriter, newHash: () => Sha256, opts: ApplyOptions, parts: EngineParts | undefined): Promise<ApplyResult> {
  const tarHash = newHash();
  const walker = (opts.walker ?? parts?.walker ?? newTarStreamWalker)();
  const { head, stream } = await peek(source, 6);
  const compression = detectCompression(head);
  // Uncompressed: the blob is the tar, one hash serves as digest and diffID.
  const hashRaw = compression !== "none" && !opts.knownDigest;
  const rawHash = hashRaw ? newHash() : undefined;
  async function* raw(): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream) {
      rawHash?.update(chunk);
      yield chunk;
    }
  }
  let size = 0;
  try {
    // Each chunk is walked, hashed and written before the next: the decoder reuses its output buffer.
    for await (const chunk of decompressReusing(raw(), compression, { zstd: opts.zstdDecoder })) {
      tarHash.update(chunk);
      size += chunk.length;
      for (const ev of walker.push(chunk)) {
        if (ev.kind === "data") writer.data(ev.data);
        else if (ev.kind === "entry") writer.entry(opts.hostOwner ? { ...ev.entry, ...opts.hostOwner(ev.entry.uid, ev.entry.gid) } : ev.entry);
        else writer.entryEnd();
      }
    }
    walker.finish();
    writer.finish();
  } catch (e) {
    tarHash.dispose?.();
    rawHash?.dispose?.();
    throw e;
  } finally {
    writer.close();
  }
  const diffID = `sha256:${tarHash.digestHex()}`;
  const digest = opts.knownDigest ?? (rawHash ? `sha256:${rawHash.digestHex()}` : diffID);
  return {
    diffID,
    size,
    digest,
    compression,
    ...(opts.walker || opts.sha256 ? {} : { engine: opts.engine ?? defaultLayerEngine }),
    entries: writer.stats.entries,
    contentSize: writer.stats.contentSize,
    skippedDevices: writer.stats.skippedDevices,
    skippedXattrs: writer.stats.skippedXattrs,
  };
}
