// The registry's global blob pool: <root>/blobs/sha256/<hex>. A blob path only
// ever holds complete bytes whose SHA-256 is the file name: new content is
// written elsewhere, verified, fsynced, then renamed into place.
import { mkdirSync, statSync, existsSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { randomHex } from "../../../builtins.ts";
import { syncDir } from "./fsutil.ts";
import { RegistryHttpError } from "../errors.ts";

export type Sha256Digest = `sha256:${string}`;

export class BlobPool {
  readonly dir: string;
  readonly tmpDir: string;

  constructor(root: string) {
    this.dir = join(root, "blobs", "sha256");
    this.tmpDir = join(root, "_tmp");
    mkdirSync(this.dir, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
  }

  path(digest: Sha256Digest): string {
    return join(this.dir, digest.slice(7));
  }

  size(digest: Sha256Digest): number | undefined {
    try {
      return statSync(this.path(digest)).size;
    } catch {
      return undefined;
    }
  }

  has(digest: Sha256Digest): boolean {
    return existsSync(this.path(digest));
  }

  /**
   * Moves a fully written file into the pool after checking its digest
   * (`actual` when the caller hashed it while writing). Mismatch → the file is
   * removed and DIGEST_INVALID thrown.
   */
  async commitFile(file: string, expected: Sha256Digest, actual?: Sha256Digest): Promise<number> {
    const got = actual ?? (await hashFile(file));
    if (got !== expected) {
      await unlink(file).catch(() => {}); // the mismatch is the error to report; a file already gone changes nothing
      throw new RegistryHttpError("DIGEST_INVALID", undefined, { expected, actual: got });
    }
    const fh = await open(file, "r+");
    const size = (await fh.stat()).size;
    await fh.sync();
    await fh.close();
    if (this.has(expected)) {
      await unlink(file).catch(() => {}); // a duplicate of a stored blob: left over at worst, and swept like any temp file
      return size;
    }
    await rename(file, this.path(expected));
    syncDir(this.dir);
    return size;
  }

  /** Streams bytes into the pool (monolithic uploads, manifests). */
  async put(source: AsyncIterable<Uint8Array> | Uint8Array, expected: Sha256Digest | undefined, maxSize?: number): Promise<{ digest: Sha256Digest; size: number }> {
    const tmp = join(this.tmpDir, `put-${randomHex(8)}`);
    const fh = await open(tmp, "wx", 0o644);
    const hasher = new Bun.CryptoHasher("sha256");
    let size = 0;
    try {
      const chunks = source instanceof Uint8Array ? [source] : source;
      for await (const chunk of chunks) {
        size += chunk.byteLength;
        if (maxSize !== undefined && size > maxSize) throw new RegistryHttpError("SIZE_INVALID", `content larger than ${maxSize} bytes`, null, 413);
        hasher.update(chunk);
        await fh.write(chunk);
      }
      await fh.close();
    } catch (e) {
      // Cleanup on the way out: its own failure must not hide the error rethrown below.
      await fh.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      throw e;
    }
    const digest = `sha256:${hasher.digest("hex")}` as Sha256Digest;
    await this.commitFile(tmp, expected ?? digest, digest);
    return { digest, size };
  }

  async delete(digest: Sha256Digest): Promise<void> {
    await unlink(this.path(digest)).catch(() => {}); // deleting a blob that is not there is done
  }
}

export async function hashFile(file: string): Promise<Sha256Digest> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(file).stream()) hasher.update(chunk);
  return `sha256:${hasher.digest("hex")}`;
}
