// Layer snapshots keyed by chain ID: <root>/layers/<chainID hex>/diff holds
// the layer's own content in overlay form (whiteouts as 0:0 char devices,
// opaque dirs as xattrs); a container rootfs is an overlay of these.
// Prepare applies into a temp dir, renames it into place, then marks the row
// ready, so a crash leaves nothing or a complete snapshot; recover() removes
// anything incomplete.
import type { Database } from "bun:sqlite";
import { mkdirSync, readdirSync, rmSync, existsSync } from "node:fs";
import { rename, rm, mkdir, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { skipped } from "../shared/debug-log.ts";
import { randomHex } from "../builtins.ts";
import { InvalidDataError } from "../errors.ts";
import { checkDigest, digestHex, sha256Of, type Digest } from "./digest.ts";

export interface SnapshotInfo {
  chainId: Digest;
  diffId: Digest;
  parentChainId: Digest | null;
  size: number;
  state: "pending" | "ready";
}

export type LayerSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface PreparedSnapshot {
  chainId: Digest;
  diffId: Digest;
  size: number;
  /** The blob's digest as the applier saw it (absent when the snapshot was already there). */
  digest?: Digest;
  /** False when the snapshot was already there. */
  created: boolean;
}

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIdOf(parentChainId: Digest | null, diffId: Digest): Digest {
  return parentChainId ? sha256Of(`${parentChainId} ${diffId}`) : diffId;
}

/** The one wording of a layer whose content is not the layer its image config names. */
export function diffIdMismatch(expected: Digest, actual: string): InvalidDataError {
  return new InvalidDataError(`layer content does not match the image config: expected diff ID ${expected}, got ${actual}`);
}

/** Extracts a layer (any compression) into a directory; src/layer/apply.ts by default. */
export type LayerApplier = (
  source: LayerSource,
  target: string,
  opts: { whiteoutMode: "overlay"; knownDigest?: string; blobSize?: number },
) => Promise<{ diffID: string; size: number; contentSize: number; digest: string }>;

const defaultApplier: LayerApplier = async (source, target, opts) => {
  const { applyLayer } = await import("../layer/apply.ts");
  return applyLayer(source, target, opts);
};

export class SnapshotStore {
  readonly dir: string;
  private leases = new Map<string, number>();
  private locks = new Map<string, Promise<unknown>>();

  constructor(root: string, private db: Database, private apply: LayerApplier = defaultApplier) {
    this.dir = join(root, "layers");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  path(chainId: string): string {
    return join(this.dir, digestHex(checkDigest(chainId, "chain ID")));
  }

  /** The directory to use as an overlay lower dir. */
  diffPath(chainId: string): string {
    return join(this.path(chainId), "diff");
  }

  /** Where a copy of the layer with other owners (`name`: one per user namespace mapping) is kept: removed with the layer. */
  copyPath(chainId: string, name: string): string {
    return join(this.path(chainId), name);
  }

  get(chainId: string): SnapshotInfo | undefined {
    const r = this.db
      .query<{ chain_id: Digest; diff_id: Digest; parent_chain_id: Digest | null; size: number; state: "pending" | "ready" }, [string]>(
        "SELECT chain_id, diff_id, parent_chain_id, size, state FROM layers WHERE chain_id = ?",
      )
      .get(chainId);
    return r ? { chainId: r.chain_id, diffId: r.diff_id, parentChainId: r.parent_chain_id, size: r.size, state: r.state } : undefined;
  }

  isReady(chainId: string): boolean {
    return this.get(chainId)?.state === "ready" && existsSync(this.diffPath(chainId));
  }

  /** Keeps a snapshot from garbage collection while an operation that will reference it runs. */
  lease(chainId: string): () => void {
    this.leases.set(chainId, (this.leases.get(chainId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.leases.get(chainId) ?? 1) - 1;
      if (n <= 0) this.leases.delete(chainId);
      else this.leases.set(chainId, n);
    };
  }

  /**
   * Makes the snapshot of a layer on top of `parentChainId` ready from its
   * bytes (a layer blob, any compression). With `expectedDiffId` the chain ID
   * is known first: an existing snapshot is kept without reading the source,
   * and content with another diffID is refused before it is installed.
   * Without it (import, commit), the chain ID follows from the content.
   * The caller must lease the result.
   */
  async prepare(
    parentChainId: Digest | null,
    source: () => LayerSource | Promise<LayerSource>,
    opts: {
      expectedDiffId?: Digest;
      /** The blob's digest, when the caller verifies the bytes (see ApplyOptions.knownDigest). */
      knownDigest?: Digest;
      /** The blob's size, when known (see ApplyOptions.blobSize). */
      blobSize?: number;
    } = {},
  ): Promise<PreparedSnapshot> {
    const expected = opts.expectedDiffId;
    if (expected) {
      return this.withLock(chainIdOf(parentChainId, expected), async () => {
        const existing = this.readySnapshot(chainIdOf(parentChainId, expected));
        if (existing) return { ...existing, digest: opts.knownDigest };
        return this.applyAndInstall(parentChainId, await source(), opts);
      });
    }
    return this.applyAndInstall(parentChainId, await source(), opts);
  }

  /**
   * Makes the snapshot of a layer whose content is already a directory in overlay form on
   * the store's filesystem (a build step's upper dir, whose tar has `diffId`): renamed into
   * place rather than unpacked again. `size`: its regular files' bytes. When the snapshot is
   * there already, `dir` stays where it is, for the caller to remove. The caller must lease it.
   */
  async adopt(parentChainId: Digest | null, diffId: Digest, dir: string, size: number): Promise<PreparedSnapshot> {
    const chainId = chainIdOf(parentChainId, checkDigest(diffId, "diff ID"));
    return this.withLock(chainId, async () => {
      const existing = this.readySnapshot(chainId);
      if (existing) return existing;
      const tmp = join(this.dir, `.tmp-${randomHex(8)}`);
      await mkdir(tmp, { mode: 0o755 });
      try {
        await rename(dir, join(tmp, "diff"));
      } catch (e) {
        // Nothing was moved in: the empty directory goes now rather than at the next open's sweep.
        await rmdir(tmp).catch(skipped("removing an adoption's empty temporary directory"));
        throw e;
      }
      this.db
        .query("INSERT INTO layers (chain_id, diff_id, parent_chain_id, size, state) VALUES (?, ?, ?, ?, 'pending') ON CONFLICT (chain_id) DO UPDATE SET state = 'pending'")
        .run(chainId, diffId, parentChainId, size);
      try {
        await this.install(tmp, chainId);
      } catch (e) {
        if (!this.isReferenced(chainId)) this.db.query("DELETE FROM layers WHERE chain_id = ? AND state = 'pending'").run(chainId);
        await rm(tmp, { recursive: true, force: true }).catch(() => {}); // what stays is swept at the next open; e is the error
        throw e;
      }
      this.db.query("UPDATE layers SET state = 'ready', size = ? WHERE chain_id = ?").run(size, chainId);
      return { chainId, diffId, size, created: true };
    });
  }

  private readySnapshot(chainId: Digest): PreparedSnapshot | undefined {
    const existing = this.get(chainId);
    if (existing?.state !== "ready" || !existsSync(this.diffPath(chainId))) return undefined;
    return { chainId, diffId: existing.diffId, size: existing.size, created: false };
  }

  private async applyAndInstall(
    parentChainId: Digest | null,
    source: LayerSource,
    opts: { expectedDiffId?: Digest; knownDigest?: Digest; blobSize?: number },
  ): Promise<PreparedSnapshot> {
    const tmp = await this.makeTemp();
    try {
      const result = await this.apply(source, join(tmp, "diff"), { whiteoutMode: "overlay", ...(opts.knownDigest ? { knownDigest: opts.knownDigest } : {}), ...(opts.blobSize ? { blobSize: opts.blobSize } : {}) });
      const diffId = checkDigest(result.diffID, "diff ID");
      if (opts.expectedDiffId && diffId !== opts.expectedDiffId) throw diffIdMismatch(opts.expectedDiffId, diffId);
      const chainId = chainIdOf(parentChainId, diffId);
      const install = async () => {
        const existing = this.readySnapshot(chainId);
        if (existing) {
          await rm(tmp, { recursive: true, force: true });
          return { ...existing, digest: result.digest as Digest };
        }
        this.db
          .query("INSERT INTO layers (chain_id, diff_id, parent_chain_id, size, state) VALUES (?, ?, ?, ?, 'pending') ON CONFLICT (chain_id) DO UPDATE SET state = 'pending'")
          .run(chainId, diffId, parentChainId, result.contentSize);
        try {
          await this.install(tmp, chainId);
        } catch (e) {
          if (!this.isReferenced(chainId)) this.db.query("DELETE FROM layers WHERE chain_id = ? AND state = 'pending'").run(chainId);
          throw e;
        }
        // A layer's size is its files' bytes, as dockerd counts it, not its tar's.
        this.db.query("UPDATE layers SET state = 'ready', size = ? WHERE chain_id = ?").run(result.contentSize, chainId);
        return { chainId, diffId, size: result.contentSize, digest: result.digest as Digest, created: true };
      };
      // With an expected diffID the caller already holds this chain's lock.
      return opts.expectedDiffId ? await install() : await this.withLock(chainId, install);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true }).catch(() => {}); // what stays is swept at the next open; e is the error
      throw e;
    }
  }

  private async makeTemp(): Promise<string> {
    const tmp = join(this.dir, `.tmp-${randomHex(8)}`);
    await mkdir(join(tmp, "diff"), { recursive: true, mode: 0o755 });
    return tmp;
  }

  private async install(tmp: string, chainId: Digest): Promise<void> {
    const final = this.path(chainId);
    await rm(final, { recursive: true, force: true });
    await rename(tmp, final);
  }

  private isReferenced(chainId: string): boolean {
    return !!this.db.query("SELECT 1 FROM image_layers WHERE chain_id = ? LIMIT 1").get(chainId);
  }

  /** Removes snapshots no image references (and no running operation leases). */
  async removeUnused(): Promise<string[]> {
    const rows = this.db
      .query<{ chain_id: string }, []>(
        "SELECT chain_id FROM layers WHERE chain_id NOT IN (SELECT chain_id FROM image_layers)",
      )
      .all()
      .filter((r) => !this.leases.has(r.chain_id) && !this.locks.has(r.chain_id));
    const removed: string[] = [];
    for (const { chain_id } of rows) {
      // Row first: a crash after it leaves an orphan dir, which recover() removes.
      this.db.query("DELETE FROM layers WHERE chain_id = ?").run(chain_id);
      await rm(this.path(chain_id), { recursive: true, force: true });
      removed.push(chain_id);
    }
    return removed;
  }

  /**
   * Startup: drop temp dirs, pending rows, dirs without a ready row, and in a ready layer's dir
   * what a copy of it (copyPath) being made when the daemon died left (`<name>.tmp-*`: a copy is
   * renamed into place whole). Call before any prepare or copy.
   */
  recover(): void {
    this.db.query("DELETE FROM layers WHERE state = 'pending' AND chain_id NOT IN (SELECT chain_id FROM image_layers)").run();
    const ready = new Set(
      this.db.query<{ chain_id: string }, []>("SELECT chain_id FROM layers WHERE state = 'ready'").all().map((r) => digestHex(r.chain_id as Digest)),
    );
    for (const name of readdirSync(this.dir)) {
      if (!ready.has(name)) rmSync(join(this.dir, name), { recursive: true, force: true });
      else for (const entry of readdirSync(join(this.dir, name))) if (entry.includes(".tmp-")) rmSync(join(this.dir, name, entry), { recursive: true, force: true });
    }
  }

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
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
