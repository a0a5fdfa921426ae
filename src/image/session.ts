// One image-writing operation (pull, load, import, commit, seed, build): it
// remembers the blobs and snapshots it created and holds leases on them, so
// that on failure everything it left behind that nothing references is
// removed, and on success the garbage collector cannot race it.
import type { Store } from "../store/index.ts";
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

  leaseSnapshot(chainId: Digest): void {
    this.releases.push(this.store.snapshots.lease(chainId));
  }

  /** Makes a layer's snapshot ready (see SnapshotStore.prepare), leased until the session ends. */
  async prepare(parentChainId: Digest | null, source: () => LayerSource | Promise<LayerSource>, opts?: { expectedDiffId?: Digest; knownDigest?: Digest; blobSize?: number }) {
    const r = await this.store.snapshots.prepare(parentChainId, source, opts);
    this.leaseSnapshot(r.chainId);
    return r;
  }

  /** Makes a layer's snapshot from a directory already in overlay form (see SnapshotStore.adopt), leased until the session ends. */
  async adopt(parentChainId: Digest | null, diffId: Digest, dir: string, size: number) {
    const r = await this.store.snapshots.adopt(parentChainId, diffId, dir, size);
    this.leaseSnapshot(r.chainId);
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
    await this.store.removeUnreferenced(this.createdBlobs);
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
