// Image metadata rows: what an image is made of and what names point at it.
// Every multi-row change runs in one transaction.
import type { Database } from "bun:sqlite";
import type { Digest } from "./digest.ts";

export interface LayerRecord {
  chainId: Digest;
  diffId: Digest;
  parentChainId: Digest | null;
  /** Compressed (or plain) blob holding this layer, when kept. */
  blob?: { digest: Digest; mediaType: string; size: number };
}

export interface ManifestRecord {
  digest: Digest;
  mediaType: string;
  size: number;
  os?: string;
  architecture?: string;
  variant?: string;
}

export interface ImageRecord {
  id: Digest;
  configSize: number;
  created: string;
  os: string;
  architecture: string;
  variant?: string;
  parent?: string;
  layers: LayerRecord[];
  manifests: ManifestRecord[];
}

export interface ImageRow {
  id: Digest;
  config_size: number;
  created: string;
  os: string;
  architecture: string;
  variant: string;
  size: number;
  parent: string;
  added_at: number;
}

/** A layer of an image as its row and its snapshot's say. */
export interface LayerRow {
  chain_id: Digest;
  diff_id: Digest;
  size: number;
}

/** A stored blob that holds a layer (compressed or not). */
export interface LayerBlobRow {
  digest: Digest;
  media_type: string;
  size: number;
}

export interface ManifestRow {
  digest: Digest;
  media_type: string;
  size: number;
  os: string;
  architecture: string;
  variant: string;
}

export interface RefRow {
  name: string;
  kind: "tag" | "digest";
  image_id: Digest;
  created_at: number;
}

export class ImageRecords {
  constructor(readonly db: Database) {}

  /**
   * Records images (whose snapshots must be ready) and points `refs` at them,
   * all at once. A tag that pointed elsewhere moves, as `docker load` does.
   */
  commit(images: ImageRecord[], refs: { name: string; kind: "tag" | "digest"; imageId: Digest }[]): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const img of images) {
        for (const l of img.layers) {
          const row = this.db.query<{ state: string }, [string]>("SELECT state FROM layers WHERE chain_id = ?").get(l.chainId);
          if (row?.state !== "ready") throw new Error(`internal error: snapshot ${l.chainId} is not ready`);
          if (l.blob) {
            this.db
              .query("INSERT OR IGNORE INTO layer_blobs (diff_id, digest, media_type, size) VALUES (?, ?, ?, ?)")
              .run(l.diffId, l.blob.digest, l.blob.mediaType, l.blob.size);
          }
        }
        const size = img.layers.reduce(
          (n, l) => n + (this.db.query<{ size: number }, [string]>("SELECT size FROM layers WHERE chain_id = ?").get(l.chainId)?.size ?? 0),
          0,
        );
        const exists = this.db.query("SELECT 1 FROM images WHERE id = ?").get(img.id);
        if (!exists) {
          this.db
            .query("INSERT INTO images (id, config_size, created, os, architecture, variant, size, parent, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .run(img.id, img.configSize, img.created, img.os, img.architecture, img.variant ?? "", size, img.parent ?? "", now);
          img.layers.forEach((l, i) =>
            this.db.query("INSERT INTO image_layers (image_id, idx, chain_id) VALUES (?, ?, ?)").run(img.id, i, l.chainId),
          );
        }
        for (const m of img.manifests) {
          this.db
            .query("INSERT OR IGNORE INTO manifests (digest, media_type, size, image_id, os, architecture, variant) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .run(m.digest, m.mediaType, m.size, img.id, m.os ?? img.os, m.architecture ?? img.architecture, m.variant ?? img.variant ?? "");
        }
      }
      for (const r of refs) this.setRef(r.name, r.kind, r.imageId, now);
    }).immediate();
  }

  setRef(name: string, kind: "tag" | "digest", imageId: string, now = Date.now()): void {
    this.db
      .query("INSERT INTO refs (name, kind, image_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, image_id = excluded.image_id, created_at = excluded.created_at")
      .run(name, kind, imageId, now);
  }

  deleteRef(name: string): boolean {
    return this.db.query("DELETE FROM refs WHERE name = ?").run(name).changes > 0;
  }

  getRef(name: string): RefRow | undefined {
    return this.db.query<RefRow, [string]>("SELECT * FROM refs WHERE name = ?").get(name) ?? undefined;
  }

  refsOf(imageId: string): RefRow[] {
    return this.db.query<RefRow, [string]>("SELECT * FROM refs WHERE image_id = ? ORDER BY name").all(imageId);
  }

  allRefs(): RefRow[] {
    return this.db.query<RefRow, []>("SELECT * FROM refs ORDER BY created_at, name").all();
  }

  get(id: string): ImageRow | undefined {
    return this.db.query<ImageRow, [string]>("SELECT * FROM images WHERE id = ?").get(id) ?? undefined;
  }

  list(): ImageRow[] {
    return this.db.query<ImageRow, []>("SELECT * FROM images ORDER BY added_at DESC, id").all();
  }

  /** Image IDs starting with `prefix` (hex, without "sha256:"). */
  findByIdPrefix(prefix: string): Digest[] {
    return this.db
      .query<{ id: Digest }, [string, string]>("SELECT id FROM images WHERE id >= ? AND id < ? ORDER BY id")
      .all(`sha256:${prefix}`, `sha256:${prefix}\u{10ffff}`)
      .map((r) => r.id);
  }

  /** Every stored layer's unpacked size, each once. */
  layersSize(): number {
    return this.db.query<{ n: number }, []>("SELECT COALESCE(SUM(size), 0) AS n FROM layers").get()!.n;
  }

  layersOf(imageId: string): LayerRow[] {
    return this.db
      .query<LayerRow, [string]>(
        "SELECT l.chain_id, l.diff_id, l.size FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id WHERE il.image_id = ? ORDER BY il.idx",
      )
      .all(imageId);
  }

  /**
   * An image's layers as records, each with the first of its blobs that
   * `hasBlob` accepts (default: the first recorded).
   */
  layerRecordsOf(imageId: string, hasBlob: (digest: Digest) => boolean = () => true): LayerRecord[] {
    let parentChainId: Digest | null = null;
    return this.layersOf(imageId).map((l) => {
      const b = this.blobsOfLayer(l.diff_id).find((x) => hasBlob(x.digest));
      const record: LayerRecord = {
        chainId: l.chain_id,
        diffId: l.diff_id,
        parentChainId,
        ...(b ? { blob: { digest: b.digest, mediaType: b.media_type, size: b.size } } : {}),
      };
      parentChainId = l.chain_id;
      return record;
    });
  }

  blobsOfLayer(diffId: string): LayerBlobRow[] {
    return this.db
      .query<LayerBlobRow, [string]>("SELECT digest, media_type, size FROM layer_blobs WHERE diff_id = ? ORDER BY rowid")
      .all(diffId);
  }

  manifestsOf(imageId: string): ManifestRow[] {
    return this.db.query<ManifestRow, [string]>("SELECT digest, media_type, size, os, architecture, variant FROM manifests WHERE image_id = ? ORDER BY rowid").all(imageId);
  }

  /** Images whose parent is `id` (local build/commit children). */
  children(id: string): Digest[] {
    return this.db.query<{ id: Digest }, [string]>("SELECT id FROM images WHERE parent = ?").all(id).map((r) => r.id);
  }

  /** Removes the image row (cascading to its layers list, manifests and refs). */
  deleteImage(id: string): void {
    this.db.transaction(() => {
      this.db.query("DELETE FROM images WHERE id = ?").run(id);
    }).immediate();
  }

  /** Every blob digest some row still needs. */
  referencedBlobs(): Set<string> {
    const s = new Set<string>();
    for (const q of [
      "SELECT id AS d FROM images",
      "SELECT digest AS d FROM manifests",
      "SELECT lb.digest AS d FROM layer_blobs lb WHERE lb.diff_id IN (SELECT l.diff_id FROM layers l JOIN image_layers il ON il.chain_id = l.chain_id)",
      "SELECT digest AS d FROM blob_leases",
    ]) {
      for (const r of this.db.query<{ d: string }, []>(q).all()) s.add(r.d);
    }
    return s;
  }

  /** layer_blobs rows whose layer no image uses any more. */
  pruneLayerBlobs(): void {
    this.db
      .query("DELETE FROM layer_blobs WHERE diff_id NOT IN (SELECT l.diff_id FROM layers l JOIN image_layers il ON il.chain_id = l.chain_id)")
      .run();
  }
}
