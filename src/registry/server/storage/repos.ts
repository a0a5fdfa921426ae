// Per-repository links under <root>/repositories/<name>/:
//   _layers/<hex>      a blob belongs to this repository (pushed or mounted)
//   _manifests/<hex>   a manifest of this repository; the file holds its media type
//   _tags/<tag>        the digest the tag points at
//   _uploads/<uuid>/   upload sessions (see uploads.ts)
// The underscore prefix cannot begin a name component, so a repository named
// "a/_tags" can never collide with a's own directories.
import { readdir, mkdir, rm, writeFile } from "node:fs/promises";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { readTextOrUndefined, unlinkIfExists, writeFileAtomic } from "./fsutil.ts";
import type { BlobPool, Sha256Digest } from "./blobs.ts";

const HEX_RE = /^[0-9a-f]{64}$/;
const REPO_MARKERS = ["_manifests", "_layers", "_tags"];

export class Repositories {
  readonly dir: string;

  constructor(root: string, private blobs: BlobPool) {
    this.dir = join(root, "repositories");
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  exists(name: string): boolean {
    return REPO_MARKERS.some((m) => existsSync(join(this.path(name), m)));
  }

  // ---- blobs linked into a repository
  hasBlob(name: string, digest: Sha256Digest): boolean {
    return existsSync(join(this.path(name), "_layers", digest.slice(7))) && this.blobs.has(digest);
  }

  async linkBlob(name: string, digest: Sha256Digest): Promise<void> {
    const dir = join(this.path(name), "_layers");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, digest.slice(7)), digest);
  }

  async unlinkBlob(name: string, digest: Sha256Digest): Promise<boolean> {
    return unlinkIfExists(join(this.path(name), "_layers", digest.slice(7)));
  }

  async linkedBlobs(name: string): Promise<Sha256Digest[]> {
    return hexNames(join(this.path(name), "_layers"));
  }

  // ---- manifests
  async manifestType(name: string, digest: Sha256Digest): Promise<string | undefined> {
    if (!this.blobs.has(digest)) return undefined;
    return readTextOrUndefined(join(this.path(name), "_manifests", digest.slice(7)));
  }

  async linkManifest(name: string, digest: Sha256Digest, mediaType: string): Promise<void> {
    await writeFileAtomic(join(this.path(name), "_manifests", digest.slice(7)), mediaType);
  }

  async unlinkManifest(name: string, digest: Sha256Digest): Promise<boolean> {
    return unlinkIfExists(join(this.path(name), "_manifests", digest.slice(7)));
  }

  async manifests(name: string): Promise<Sha256Digest[]> {
    return hexNames(join(this.path(name), "_manifests"));
  }

  // ---- tags
  async resolveTag(name: string, tag: string): Promise<Sha256Digest | undefined> {
    const d = (await readTextOrUndefined(join(this.path(name), "_tags", tag)))?.trim();
    return d && /^sha256:[0-9a-f]{64}$/.test(d) ? (d as Sha256Digest) : undefined;
  }

  async setTag(name: string, tag: string, digest: Sha256Digest): Promise<void> {
    await writeFileAtomic(join(this.path(name), "_tags", tag), digest);
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    return unlinkIfExists(join(this.path(name), "_tags", tag));
  }

  async tags(name: string): Promise<string[]> {
    try {
      return (await readdir(join(this.path(name), "_tags"))).filter((t) => !t.startsWith(".")).sort();
    } catch {
      return [];
    }
  }

  /** Tags pointing at `digest`. */
  async tagsOf(name: string, digest: Sha256Digest): Promise<string[]> {
    const out: string[] = [];
    for (const t of await this.tags(name)) if ((await this.resolveTag(name, t)) === digest) out.push(t);
    return out;
  }

  /** Every repository name, sorted (a directory holding one of the marker dirs). */
  list(): string[] {
    const out: string[] = [];
    const walk = (dir: string, prefix: string) => {
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        return;
      }
      if (prefix && entries.some((e) => REPO_MARKERS.includes(e))) out.push(prefix);
      for (const e of entries) {
        if (e.startsWith("_") || e.startsWith(".")) continue;
        const p = join(dir, e);
        if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) walk(p, prefix ? `${prefix}/${e}` : e);
      }
    };
    walk(this.dir, "");
    return out.sort();
  }

  async remove(name: string): Promise<void> {
    await rm(this.path(name), { recursive: true, force: true });
  }
}

async function hexNames(dir: string): Promise<Sha256Digest[]> {
  try {
    return (await readdir(dir)).filter((n) => HEX_RE.test(n)).map((n) => `sha256:${n}` as Sha256Digest);
  } catch {
    return [];
  }
}
