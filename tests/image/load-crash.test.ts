// kill -9 during a load leaves a store that opens and lists consistently.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/index.ts";
import { loadArchive } from "../../src/image/archive/load.ts";
import { createImageService } from "../../src/daemon/images.ts";
import { makeImageFixtures, requireTools, type ImageFixtures } from "../fixtures/image-busybox.ts";
import { consistencyProblems } from "../fixtures/image-store-state.ts";

const dir = mkdtempSync("/tmp/berth-test-crash-");
let fx: ImageFixtures | undefined;
beforeAll(async () => {
  if (requireTools()) fx = await makeImageFixtures(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("kill -9 at several points of a load", async () => {
  if (!fx) return;
  const storeDir = join(dir, "store");
  let interrupted = 0;
  for (const delay of [20, 100, 200, 320]) {
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "load-crash-script.ts"), storeDir, fx.ociArchive], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const reader = child.stdout.getReader();
    await reader.read(); // "started"
    await Bun.sleep(delay);
    child.kill(9);
    await child.exited;
    let out = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) out += new TextDecoder().decode(r.value);
    if (!out.includes("done")) interrupted++;
    const store = await openStore(storeDir);
    try {
      expect(consistencyProblems(store)).toEqual([]);
      const list = await createImageService(store).list({});
      for (const img of list) expect(img.RepoTags).toEqual(["busybox:oci"]);
      // a loaded (committed) image, if any, is complete; else nothing is there
      if (list.length === 0) expect(store.images.list()).toEqual([]);
    } finally {
      store.close();
    }
  }
  expect(interrupted).toBeGreaterThan(0);
  // after all that, a load still works
  const store = await openStore(storeDir);
  const r = await loadArchive(store, Bun.file(fx.ociArchive).stream());
  expect(r.lines).toEqual(["Loaded image: busybox:oci"]);
  expect(consistencyProblems(store)).toEqual([]);
  store.close();
}, 60_000);
