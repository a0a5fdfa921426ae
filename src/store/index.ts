// The local store: metadata database, content-addressed blobs and layer
// snapshots under one data root. openStore() makes it consistent after a crash
// (temp files, incomplete snapshots and unreferenced blobs are removed).
import type { Database } from "bun:sqlite";
import { mkdirSync, readdirSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { BlobStore } from "./blobs.ts";
import { openDatabase } from "./db.ts";
import { ImageRecords } from "./image-records.ts";
import { SnapshotStore, type LayerApplier } from "./snapshots.ts";
import { isDigest, hexToDigest } from "./digest.ts";

export { BlobStore } from "./blobs.ts";
export { SnapshotStore } from "./snapshots.ts";
export { ImageRecords } from "./image-records.ts";
export type { Digest } from "./digest.ts";

export interface OpenStoreOptions {
  /** The layer applier (default: src/layer/apply.ts). */
  applyLayer?: LayerApplier;
}

export class Store {
  readonly db: Database;
  readonly blobs: BlobStore;
  readonly snapshots: SnapshotStore;
  readonly images: ImageRecords;
  /** Blobs an operation in progress has written but not yet recorded. */
  private blobLeases = new Map<string, number>();

  constructor(readonly root: string, applier?: LayerApplier) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    chmodSync(root, 0o700);
    this.db = openDatabase(join(root, "berth.db"));
    this.blobs = new BlobStore(root);
    this.snapshots = new SnapshotStore(root, this.db, applier);
    this.images = new ImageRecords(this.db);
  }

  leaseBlob(digest: string): () => void {
    this.blobLeases.set(digest, (this.blobLeases.get(digest) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.blobLeases.get(digest) ?? 1) - 1;
      if (n <= 0) this.blobLeases.delete(digest);
      else this.blobLeases.set(digest, n);
    };
  }

  isBlobLeased(digest: string): boolean {
    return this.blobLeases.has(digest);
  }

  /** Removes snapshots and blobs nothing references; returns what it removed. */
  async gc(): Promise<{ blobs: string[]; snapshots: string[] }> {
    const all = readdirSync(this.blobs.dir).filter((name) => /^[0-9a-f]{64}$/.test(name)).map(hexToDigest);
    return this.removeUnreferenced(all);
  }

  /**
   * The one cleanup: snapshots no image uses (and no operation leases), then
   * those of `candidates` (blob digests) that no row references or lease holds.
   */
  async removeUnreferenced(candidates: Iterable<string>): Promise<{ blobs: string[]; snapshots: string[] }> {
    const snapshots = await this.snapshots.removeUnused();
    this.images.pruneLayerBlobs();
    const keep = this.images.referencedBlobs();
    const removed: string[] = [];
    for (const d of candidates) {
      if (!isDigest(d) || keep.has(d) || this.blobLeases.has(d)) continue;
      await this.blobs.delete(d);
      removed.push(d);
    }
    return { blobs: removed, snapshots };
  }

  /** A value of the store's own bookkeeping (store_meta), e.g. when the built-in images were seeded. */
  meta(key: string): string | undefined {
    return (this.db.query("SELECT value FROM store_meta WHERE key = ?").get(key) as { value: string } | null)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.query("INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)").run(key, value);
  }

  close(): void {
    this.db.close();
  }
}

export async function openStore(dataRoot: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const store = new Store(dataRoot, opts.applyLayer);
  try {
    store.blobs.cleanTmp();
    store.snapshots.recover();
    await store.gc();
  } catch (e) {
    store.close();
    throw e;
  }
  return store;
}
