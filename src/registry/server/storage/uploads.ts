// Blob upload sessions: <repo>/_uploads/<uuid>/data grows with each PATCH.
// The running SHA-256 is kept in memory while the server lives; after a
// restart (or any doubt about the offset) the data file is hashed again.
import { mkdir, open, rm, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { RegistryHttpError } from "../errors.ts";
import { checkUploadId } from "../names.ts";
import type { BlobPool, Sha256Digest } from "./blobs.ts";
import type { Repositories } from "./repos.ts";

interface Running {
  hasher: Bun.CryptoHasher;
  size: number;
}

export class Uploads {
  private running = new Map<string, Running>();
  private locks = new Map<string, Promise<unknown>>();

  constructor(private repos: Repositories, private blobs: BlobPool) {}

  private dir(name: string, id: string): string {
    return join(this.repos.path(name), "_uploads", checkUploadId(id));
  }

  async start(name: string): Promise<string> {
    const id = crypto.randomUUID();
    const dir = this.dir(name, id);
    await mkdir(dir, { recursive: true });
    await (await open(join(dir, "data"), "wx", 0o644)).close();
    await Bun.write(join(dir, "startedat"), new Date().toISOString());
    this.running.set(id, { hasher: new Bun.CryptoHasher("sha256"), size: 0 });
    return id;
  }

  /** Current size; BLOB_UPLOAD_UNKNOWN when there is no such session. */
  async size(name: string, id: string): Promise<number> {
    const st = await stat(join(this.dir(name, id), "data")).catch(() => undefined); // no file: the error below
    if (!st) throw new RegistryHttpError("BLOB_UPLOAD_UNKNOWN", undefined, { uuid: id });
    return st.size;
  }

  /**
   * Appends a chunk. With `range` (from Content-Range) the chunk must start at
   * the current end (else 416) and have exactly the announced length.
   */
  async append(name: string, id: string, body: AsyncIterable<Uint8Array> | null, range?: { start: number; end: number }): Promise<number> {
    return this.locked(id, async () => {
      const file = join(this.dir(name, id), "data");
      const start = await this.size(name, id);
      if (range && range.start !== start) {
        throw new RegistryHttpError("RANGE_INVALID", `chunk starts at ${range.start}, upload is at ${start}`, null, 416, {
          Range: `0-${Math.max(start - 1, 0)}`,
        });
      }
      const run = this.running.get(id);
      const hasher = run && run.size === start ? run.hasher : undefined;
      if (!hasher) this.running.delete(id);
      const fh = await open(file, "a");
      let written = 0;
      try {
        if (body) {
          for await (const chunk of body) {
            await fh.write(chunk);
            hasher?.update(chunk);
            written += chunk.byteLength;
          }
        }
      } catch (e) {
        // Cleanup on the way out: its own failure must not hide the error rethrown below.
        await fh.close().catch(() => {});
        await truncate(file, start).catch(() => {});
        this.running.delete(id);
        throw e;
      }
      await fh.close();
      if (range && written !== range.end - range.start + 1) {
        await truncate(file, start);
        this.running.delete(id);
        throw new RegistryHttpError("SIZE_INVALID", `Content-Range announced ${range.end - range.start + 1} bytes, got ${written}`, null, 416);
      }
      if (hasher) run!.size = start + written;
      return start + written;
    });
  }

  /** Finishes: verify, move into the blob pool, link into the repository. */
  async finish(name: string, id: string, digest: Sha256Digest): Promise<number> {
    return this.locked(id, async () => {
      const dir = this.dir(name, id);
      const size = await this.size(name, id);
      const run = this.running.get(id);
      const actual = run && run.size === size ? (`sha256:${run.hasher.digest("hex")}` as Sha256Digest) : undefined;
      this.running.delete(id);
      try {
        await this.blobs.commitFile(join(dir, "data"), digest, actual);
        await this.repos.linkBlob(name, digest);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      return size;
    });
  }

  async cancel(name: string, id: string): Promise<void> {
    await this.size(name, id);
    this.running.delete(id);
    await rm(this.dir(name, id), { recursive: true, force: true });
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    // Only the holder's end matters here; its failure is its own caller's to see.
    while (this.locks.has(key)) await this.locks.get(key)!.catch(() => {});
    const p = fn();
    this.locks.set(key, p);
    try {
      return await p;
    } finally {
      this.locks.delete(key);
    }
  }
}
