// One image-writing operation (load, import, seed, later pull/commit): it
// remembers the blobs and snapshots it created and holds leases on them, so
// that on failure everything it left behind that nothing references is
// removed, and on success the garbage collector cannot race it.
import { InvalidDataError } from "../errors.ts";
import type { Store } from "../store/index.ts";
import { blobDiffId } from "./diff-id.ts";
import type { ByteSource, IngestOptions, IngestResult, BlobWriter } from "../store/blobs.ts";
import type { ImageRecord } from "../store/image-records.ts";
import type { Digest } from "../store/digest.ts";
import type { LayerSource } from "../store/snapshots.ts";

export class WriteSession {
  private createdBlobs = new Set<string>();
  private releases: (() => void)[] = [];

  constructor(readonly store: Store) {}

  private keepBlob(r: IngestResult): IngestResult {
    this.releases.push(this.store.leaseBlob(r.digest));
    if (r.created) this.createdBlobs.add(r.digest);
    return r;
  }

  async ingest(source: ByteSource, opts?: IngestOptions): Promise<IngestResult> {
    return this.keepBlob(await this.store.blobs.ingest(source, opts));
  }

  /** A push-style blob writer whose result is tracked by this session. */
  async writer(opts?: IngestOptions): Promise<{ tempPath: string; write(c: Uint8Array): Promise<void>; commit(): Promise<IngestResult>; abort(): Promise<void> }> {
    const w: BlobWriter = await this.store.blobs.writer(opts);
    return {
      tempPath: w.tempPath,
      write: (c) => w.write(c),
      commit: async () => this.keepBlob(await w.commit()),
      abort: () => w.abort(),
    };
  }

  leaseBlob(digest: string): void {
    this.releases.push(this.store.leaseBlob(digest));
  }

  /** Ensures the snapshot of one layer, applied from a stored blob when missing. */
  async prepareLayer(layer: { chainId: Digest; diffId: Digest; parentChainId: Digest | null }, blob: Digest | undefined): Promise<void> {
    this.releases.push(this.store.snapshots.lease(layer.chainId));
    if (!blob) {
      if (this.store.snapshots.isReady(layer.chainId)) return;
      throw new Error(`internal error: no blob for layer ${layer.diffId}`);
    }
    if (this.store.snapshots.isReady(layer.chainId)) {
      // The snapshot is there; the blob must still prove it holds this layer.
      if (this.store.images.blobsOfLayer(layer.diffId).some((b) => b.digest === blob)) return;
      const actual = await blobDiffId(this.store, blob);
      if (actual !== layer.diffId) {
        throw new InvalidDataError(`layer content does not match the image config: expected diff ID ${layer.diffId}, got ${actual}`);
      }
      return;
    }
    await this.store.snapshots.prepare(layer, () => this.store.blobs.open(blob));
  }

  async prepareFromContent(parentChainId: Digest | null, source: LayerSource, knownDigest?: Digest) {
    const r = await this.store.snapshots.prepareFromContent(parentChainId, source, knownDigest);
    this.releases.push(this.store.snapshots.lease(r.chainId));
    return r;
  }

  commit(images: ImageRecord[], refs: { name: string; kind: "tag" | "digest"; imageId: Digest }[]): void {
    this.store.images.commit(images, refs);
  }

  /**
   * Ends the operation: drops the leases, then removes what this session
   * created that no row references (everything, on failure).
   */
  async end(): Promise<void> {
    for (const r of this.releases.splice(0)) r();
    await this.store.snapshots.removeUnused();
    this.store.images.pruneLayerBlobs();
    const keep = this.store.images.referencedBlobs();
    for (const d of this.createdBlobs) {
      if (!keep.has(d) && !this.store.isBlobLeased(d)) await this.store.blobs.delete(d);
    }
    this.createdBlobs.clear();
  }
}

/** Runs `fn` in a session that always ends (cleaning up on failure). */
export async function withWriteSession<T>(store: Store, fn: (s: WriteSession) => Promise<T>): Promise<T> {
  const s = new WriteSession(store);
  try {
    return await fn(s);
  } finally {
    await s.end();
  }
}
