// The build cache: a step's key (its parent image, the instruction after
// substitution, the build args it can see, and for COPY/ADD the hash of what it
// copies) → the image that step made. Rows live in the store's database, so
// they survive restarts; an image's removal takes its rows with it.
import type { Database } from "bun:sqlite";
import type { Digest } from "../store/digest.ts";

export class BuildCache {
  constructor(private db: Database) {}

  static key(parts: Record<string, unknown>): string {
    return new Bun.CryptoHasher("sha256").update(JSON.stringify(parts)).digest("hex");
  }

  /** The image a step with this key made, when it still exists. */
  lookup(key: string): Digest | undefined {
    const row = this.db.query<{ image_id: Digest }, [string]>(
      "SELECT c.image_id FROM build_cache c JOIN images i ON i.id = c.image_id WHERE c.key = ?",
    ).get(key);
    if (row) this.db.query("UPDATE build_cache SET last_used = ? WHERE key = ?").run(Date.now(), key);
    return row?.image_id;
  }

  record(key: string, imageId: Digest): void {
    const now = Date.now();
    this.db.query("INSERT OR REPLACE INTO build_cache (key, image_id, created_at, last_used) VALUES (?, ?, ?, ?)").run(key, imageId, now, now);
  }

  /** Forgets every entry; returns their keys and the images they named (prune may then remove the unused ones). */
  clear(): { keys: string[]; images: Digest[] } {
    const rows = this.db.query<{ key: string; image_id: Digest }, []>("SELECT key, image_id FROM build_cache").all();
    this.db.query("DELETE FROM build_cache").run();
    return { keys: rows.map((r) => r.key), images: [...new Set(rows.map((r) => r.image_id))] };
  }

  entries(): { key: string; imageId: Digest; createdAt: number; lastUsed: number }[] {
    return this.db.query<{ key: string; image_id: Digest; created_at: number; last_used: number }, []>("SELECT * FROM build_cache").all()
      .map((r) => ({ key: r.key, imageId: r.image_id, createdAt: r.created_at, lastUsed: r.last_used }));
  }
}
