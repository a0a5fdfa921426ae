// Offline garbage collection (like `registry garbage-collect`): mark every
// blob reachable from the manifests of every repository (indexes → manifests
// → config and layers), then delete the blobs nothing marks. With
// deleteUntagged, manifests that no tag reaches (directly or through an
// index, or as a referrer of a kept manifest) are unlinked first.
// Run it while the registry is stopped or read-only: an upload finishing
// during the sweep may lose its blob (blobs younger than minAgeMs are kept).
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { RegistryStorage, type Sha256Digest } from "./storage/index.ts";
import { validateManifest, type ValidatedManifest } from "./validate.ts";

export interface GcOptions {
  deleteUntagged?: boolean;
  /** Report what would be removed without removing it. */
  dryRun?: boolean;
  /** Keep blobs modified less than this long ago (default 0). */
  minAgeMs?: number;
  /** Remove upload sessions older than this (default 7 days, as distribution's upload purging). */
  uploadMaxAgeMs?: number;
}

export interface GcResult {
  deletedBlobs: Sha256Digest[];
  deletedManifests: { repository: string; digest: Sha256Digest }[];
  keptBlobs: number;
  /** "<repository>/<uuid>" of abandoned upload sessions removed. */
  purgedUploads: string[];
}

async function readManifest(storage: RegistryStorage, repo: string, d: Sha256Digest): Promise<ValidatedManifest | undefined> {
  const type = await storage.repos.manifestType(repo, d);
  if (!type) return undefined;
  try {
    return validateManifest(await Bun.file(storage.blobs.path(d)).bytes(), type);
  } catch {
    return undefined;
  }
}

export async function gc(root: string, opts: GcOptions = {}): Promise<GcResult> {
  const storage = new RegistryStorage(root);
  const marked = new Set<string>();
  const result: GcResult = { deletedBlobs: [], deletedManifests: [], keptBlobs: 0, purgedUploads: [] };

  const uploadMaxAge = opts.uploadMaxAgeMs ?? 7 * 24 * 3600 * 1000;
  for (const repo of storage.repos.list()) {
    const uploads = join(storage.repos.path(repo), "_uploads");
    for (const id of existsSync(uploads) ? readdirSync(uploads) : []) {
      const st = statSync(join(uploads, id), { throwIfNoEntry: false });
      if (!st || Date.now() - st.mtimeMs < uploadMaxAge) continue;
      result.purgedUploads.push(`${repo}/${id}`);
      if (!opts.dryRun) rmSync(join(uploads, id), { recursive: true, force: true });
    }
    const all = await storage.repos.manifests(repo);
    const parsed = new Map<string, ValidatedManifest | undefined>();
    for (const d of all) parsed.set(d, await readManifest(storage, repo, d));

    let roots: Sha256Digest[] = all;
    if (opts.deleteUntagged) {
      const keep = new Set<string>();
      const visit = (d: string) => {
        if (keep.has(d)) return;
        keep.add(d);
        for (const child of parsed.get(d)?.manifests ?? []) visit(child);
      };
      for (const t of await storage.repos.tags(repo)) {
        const d = await storage.repos.resolveTag(repo, t);
        if (d) visit(d);
      }
      // Referrers (signatures, SBOMs) live as long as their subject.
      for (let grew = true; grew; ) {
        grew = false;
        for (const d of all) {
          const s = parsed.get(d)?.subject?.digest;
          if (!keep.has(d) && s && keep.has(s)) { visit(d); grew = true; }
        }
      }
      roots = all.filter((d) => keep.has(d));
      for (const d of all.filter((d) => !keep.has(d))) {
        result.deletedManifests.push({ repository: repo, digest: d });
        if (!opts.dryRun) await storage.repos.unlinkManifest(repo, d);
      }
    }
    for (const d of roots) {
      marked.add(d);
      const m = parsed.get(d);
      for (const b of m?.blobs ?? []) marked.add(b);
      for (const c of m?.manifests ?? []) marked.add(c);
    }
  }

  const now = Date.now();
  for (const hex of readdirSync(storage.blobs.dir)) {
    if (!/^[0-9a-f]{64}$/.test(hex)) continue;
    const d = `sha256:${hex}` as Sha256Digest;
    if (marked.has(d)) { result.keptBlobs++; continue; }
    if (opts.minAgeMs && now - statSync(join(storage.blobs.dir, hex)).mtimeMs < opts.minAgeMs) { result.keptBlobs++; continue; }
    result.deletedBlobs.push(d);
    if (!opts.dryRun) await storage.blobs.delete(d);
  }
  if (!opts.dryRun) {
    // Layer links to deleted blobs would otherwise promise content that is gone.
    const gone = new Set<string>(result.deletedBlobs);
    for (const repo of storage.repos.list()) {
      for (const d of await storage.repos.linkedBlobs(repo)) if (gone.has(d)) await storage.repos.unlinkBlob(repo, d);
    }
  }
  return result;
}
