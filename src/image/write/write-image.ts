// The store as a sink: the one path by which an image (pull, load, import,
// commit, seed, a build step) gets into the store. Each layer is either
// already there (its snapshot ready; a blob given for it must prove it holds
// that layer), applied from a blob already stored, or streamed once: its bytes
// go into the blob ingest (digest checked as they arrive) while the applier
// follows them through the file they land in. A few layers are read at once
// and more unpack behind them. The records are committed by the caller (a
// load commits all its images at once); the write session removes whatever a
// failure left.
import { uncompressed } from "../../layer/compression.ts";
import { fileSource } from "../../layer/source.ts";
import type { Digest } from "../../store/digest.ts";
import type { ImageRecord, LayerRecord } from "../../store/image-records.ts";
import { chainIdOf, diffIdMismatch } from "../../store/snapshots.ts";
import { encodeConfig } from "../config.ts";
import { checkLayerCount, layerMediaType, type Image, type Layer } from "../model.ts";
import type { WriteSession } from "../session.ts";
import { GrowingFile } from "./growing-file.ts";
import { forEachLimited, Limiter } from "./limits.ts";

/** What happens to layer i: already stored, unpacking from a stored blob, bytes all read, blob stored, unpacked. */
export type LayerEvent = "exists" | "extracting" | "verifying" | "stored" | "applied";

export interface WriteImageOptions {
  /** Layers whose bytes are read at once (default 3). */
  concurrency?: number;
  onLayer?: (index: number, event: LayerEvent, layer: Layer) => void;
  signal?: AbortSignal;
}

/** Layers unpacking at once in one write (each on its own worker thread in the daemon). */
const APPLY_LIMIT = 6;

/**
 * Writes an image's blobs and snapshots into the store and returns the record
 * to commit. Layers named by a config must hold exactly the diff IDs it names.
 */
export async function writeImage(session: WriteSession, image: Image, opts: WriteImageOptions = {}): Promise<ImageRecord> {
  const { configBlob, layers } = image;
  if (configBlob) {
    checkLayerCount(configBlob.digest, image.config, layers.length);
    session.leaseBlob(configBlob.digest);
  }
  const expected = layers.map((l, i) => {
    const named = configBlob ? image.config.rootfs.diff_ids[i]! : l.diffId;
    if (named && l.diffId && l.diffId !== named) throw diffIdMismatch(named, l.diffId);
    return named;
  });
  const records = await writeLayers(session, layers, expected, opts);
  const diffIds = records.map((r) => r.diffId);
  let config = image.config;
  let blob = configBlob;
  if (!blob) {
    config = { ...config, rootfs: { type: "layers", diff_ids: diffIds } };
    const r = await session.ingest(encodeConfig(config));
    blob = { digest: r.digest, size: r.size };
  }
  return {
    id: blob.digest,
    configSize: blob.size,
    created: typeof config.created === "string" ? config.created : "",
    os: config.os,
    architecture: config.architecture,
    variant: typeof config.variant === "string" ? config.variant : undefined,
    ...(image.parent ? { parent: image.parent } : {}),
    layers: records,
    manifests: image.manifest ? [image.manifest] : [],
  };
}

/**
 * "Write this image into the store" in one call: written and committed under
 * `refs` (full names) in the session, whose end removes what a failure left.
 */
export async function storeImage(
  session: WriteSession,
  image: Image,
  refs: { name: string; kind: "tag" | "digest" }[] = [],
  opts?: WriteImageOptions,
): Promise<Digest> {
  const record = await writeImage(session, image, opts);
  session.commit([record], refs.map((r) => ({ ...r, imageId: record.id })));
  return record.id;
}

async function writeLayers(session: WriteSession, layers: Layer[], expected: (Digest | undefined)[], opts: WriteImageOptions): Promise<LayerRecord[]> {
  const records: LayerRecord[] = [];
  const done = layers.map(() => deferred<LayerRecord>());
  // A chain ID is known up front while every diff ID below it is; above a streamed layer it waits for that layer.
  const parentOf = async (i: number): Promise<Digest | null> => {
    if (i === 0) return null;
    if (expected.slice(0, i).every(Boolean)) return expected.slice(0, i).reduce<Digest | null>((p, d) => chainIdOf(p, d!), null);
    return (await done[i - 1]!.promise).chainId;
  };
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(opts.signal!.reason);
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const unpacking = new Limiter(APPLY_LIMIT);
  const applies: Promise<void>[] = [];
  const files: GrowingFile[] = [];
  let rootCause: unknown;
  const fail = (e: unknown) => {
    rootCause ??= e;
    abort.abort(e);
    for (const f of files) f.fail(e);
    for (const d of done) d.reject(e);
  };
  const finish = (i: number, r: LayerRecord) => {
    records[i] = r;
    done[i]!.resolve(r);
    opts.onLayer?.(i, "applied", layers[i]!);
  };
  try {
    await forEachLimited(layers, opts.concurrency ?? 3, async (layer, i) => {
      const parentChainId = await parentOf(i);
      const diffId = expected[i];
      if (diffId && (await keepExisting(session, layer, diffId, parentChainId, (r) => (records[i] = r)))) {
        done[i]!.resolve(records[i]!);
        opts.onLayer?.(i, "exists", layer);
        return;
      }
      if (layer.digest && session.store.blobs.has(layer.digest)) {
        session.leaseBlob(layer.digest);
        opts.onLayer?.(i, "extracting", layer);
        const blob = { digest: layer.digest, mediaType: layer.mediaType ?? (await layerMediaType(session.store, layer.digest)), size: layer.size ?? session.store.blobs.stat(layer.digest)!.size };
        // The applier reads the stored blob by descriptor, into memory it reuses.
        const r = await session.prepare(parentChainId, () => fileSource(session.store.blobs.path(blob.digest)), { expectedDiffId: diffId });
        finish(i, { chainId: r.chainId, diffId: r.diffId, parentChainId, blob });
        return;
      }
      await unpacking.acquire();
      let applied: Promise<LayerRecord>;
      try {
        ({ applied } = await streamLayer(session, layer, i, parentChainId, diffId, opts, abort.signal, files, fail));
      } catch (e) {
        unpacking.release();
        throw e;
      }
      applies.push(applied.then((r) => finish(i, r)).finally(() => unpacking.release()));
    }, abort);
    await Promise.all(applies);
  } catch (e) {
    fail(e);
    // Nothing may still be writing when the session removes what this write made.
    await Promise.allSettled(applies);
    throw rootCause;
  } finally {
    opts.signal?.removeEventListener("abort", onOuterAbort);
  }
  return records;
}

/**
 * A layer whose snapshot is ready is kept; a blob given for it must still
 * prove it holds that layer before it is recorded as its compressed form.
 */
async function keepExisting(
  session: WriteSession,
  layer: Layer,
  diffId: Digest,
  parentChainId: Digest | null,
  record: (r: LayerRecord) => void,
): Promise<boolean> {
  const store = session.store;
  const chainId = chainIdOf(parentChainId, diffId);
  session.leaseSnapshot(chainId);
  if (!store.snapshots.isReady(chainId)) return false;
  const digest = layer.digest;
  if (!digest || !store.blobs.has(digest)) {
    record({ chainId, diffId, parentChainId });
    return true;
  }
  session.leaseBlob(digest);
  if (!store.images.blobsOfLayer(diffId).some((b) => b.digest === digest)) {
    const h = new Bun.CryptoHasher("sha256");
    for await (const chunk of uncompressed(store.blobs.open(digest))) h.update(chunk);
    const actual = `sha256:${h.digest("hex")}`;
    if (actual !== diffId) throw diffIdMismatch(diffId, actual);
  }
  const mediaType = layer.mediaType ?? (await layerMediaType(store, digest));
  record({ chainId, diffId, parentChainId, blob: { digest, mediaType, size: store.blobs.stat(digest)!.size } });
  return true;
}

/**
 * Reads a layer's bytes once into the blob store while the applier follows
 * the file; resolves when the blob is stored, with a promise for the
 * unpacking (whose failure also goes to `fail` at once, to stop the others).
 */
async function streamLayer(
  session: WriteSession,
  layer: Layer,
  index: number,
  parentChainId: Digest | null,
  diffId: Digest | undefined,
  opts: WriteImageOptions,
  signal: AbortSignal,
  files: GrowingFile[],
  fail: (e: unknown) => void,
): Promise<{ applied: Promise<LayerRecord> }> {
  const verified = !!(layer.verifiedAsRead && layer.digest);
  // A source that checks the digest does so before its last chunk is handed over, so before the commit below.
  const writer = await session.writer({ expected: layer.digest, size: layer.size, checkedByCaller: verified });
  let file: GrowingFile;
  try {
    file = await GrowingFile.open(writer.tempPath);
  } catch (e) {
    await writer.abort();
    throw e;
  }
  files.push(file);
  const applied = session.prepare(parentChainId, () => file.read(), { expectedDiffId: diffId, blobSize: layer.size, ...(verified ? { knownDigest: layer.digest } : {}) });
  applied.catch(fail).finally(() => file.dispose());
  let stored;
  try {
    // Each chunk is on disk before the next is asked for: the source may free it then.
    for await (const chunk of layer.compressed({ signal, transient: true })) {
      await writer.write(chunk);
      file.grew(chunk.byteLength);
    }
    opts.onLayer?.(index, "verifying", layer);
    stored = await writer.commit();
  } catch (e) {
    file.fail(e);
    await writer.abort();
    await applied.catch(() => {}); // the download's error is the one to report; the apply stopped with it
    throw e;
  }
  file.finish();
  opts.onLayer?.(index, "stored", layer);
  const mediaType = layer.mediaType ?? (await layerMediaType(session.store, stored.digest));
  const blob = { digest: stored.digest, mediaType, size: stored.size };
  // Wrapped: an async function returning the promise itself would wait for it.
  return { applied: applied.then((r) => ({ chainId: r.chainId, diffId: r.diffId, parentChainId, blob })) };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => {}); // observed by whoever awaits it; unobserved rejections are expected here
  return { promise, resolve, reject };
}
