// SnapshotStore.adopt takes a directory made elsewhere (a build step's upper dir) as a layer by
// rename: the layer is installed whole, and a rename that fails leaves nothing behind, neither a
// row nor the temporary directory it was to be moved into.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/index.ts";
import { chainIdOf } from "../../src/store/snapshots.ts";
import type { Digest } from "../../src/store/digest.ts";

const dir = mkdtempSync("/tmp/berth-test-adopt-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("adopt installs the directory as a layer; a failed rename leaves no temporary directory or row", async () => {
  const store = await openStore(join(dir, "store"));
  try {
    const diffId = `sha256:${"a".repeat(64)}` as Digest;
    const missing = join(dir, "no-such-dir");
    await expect(store.snapshots.adopt(null, diffId, missing, 0)).rejects.toThrow("ENOENT");
    expect(readdirSync(store.snapshots.dir)).toEqual([]);
    expect(store.snapshots.isReady(chainIdOf(null, diffId))).toBe(false);
    expect((store.db.query("SELECT count(*) AS n FROM layers").get() as { n: number }).n).toBe(0);

    const made = join(dir, "upper");
    mkdirSync(made);
    writeFileSync(join(made, "file"), "content\n");
    const snap = await store.snapshots.adopt(null, diffId, made, 8);
    expect(snap.created).toBe(true);
    expect(readFileSync(join(store.snapshots.diffPath(snap.chainId), "file"), "utf8")).toBe("content\n");
    expect(readdirSync(store.snapshots.dir).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
  } finally {
    store.close();
  }
});
