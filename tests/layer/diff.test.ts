// Directory → tar: tarDirectory round-trips a tree through applyLayer and
// GNU tar, is deterministic, and keeps hardlinks; diffOverlayUpper turns an
// overlay upper dir (made by a real overlay mount) into OCI whiteouts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { tarDirectory, diffOverlayUpper } from "../../src/layer/diff.ts";
import { applyLayer } from "../../src/layer/apply.ts";
import { readTar } from "../../src/layer/tar/read.ts";
import { makeTree, need } from "../fixtures/tar-tree.ts";
import { describeTree } from "../fixtures/tar-layers.ts";

let tmp: string;
let mounted: string | undefined;
beforeAll(() => {
  tmp = mkdtempSync("/tmp/berth-test-diff-");
  makeTree(join(tmp, "src"), { veryLongNames: true, xattrs: true, fractionalTimes: false });
});
afterAll(() => {
  if (mounted) Bun.spawnSync(["umount", mounted]);
  rmSync(tmp, { recursive: true, force: true });
});

async function bytes(s: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(s).arrayBuffer());
}

test("a tree round-trips through tarDirectory and applyLayer, deterministically", async () => {
  const a = await bytes(tarDirectory(join(tmp, "src")));
  const b = await bytes(tarDirectory(join(tmp, "src")));
  expect(a.equals(b)).toBe(true);
  await applyLayer([a], join(tmp, "copy"), { whiteoutMode: "delete", devices: "create" });
  // Times are kept in whole seconds (as Docker's tars do).
  expect(describeTree(join(tmp, "copy"))).toEqual(describeTree(join(tmp, "src")));
  writeFileSync(join(tmp, "t.tar"), a);
  const listing = Bun.spawnSync(["tar", "-tvf", join(tmp, "t.tar")]).stdout.toString();
  expect(listing).toContain("dir/small.txt link to dir/hard");
});

test("an overlay upper dir becomes OCI whiteouts and opaque markers", async () => {
  const lower = join(tmp, "lower");
  mkdirSync(join(lower, "gone"), { recursive: true });
  mkdirSync(join(lower, "opq"));
  writeFileSync(join(lower, "file"), "lower");
  writeFileSync(join(lower, "opq/old"), "old");
  const [upper, work, merged] = ["upper", "work", "merged"].map((n) => join(tmp, n));
  for (const d of [upper!, work!, merged!]) mkdirSync(d);
  const m = Bun.spawnSync(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged!]);
  if (!need(m.exitCode === 0, `overlay mount failed: ${m.stderr.toString()}`)) return;
  mounted = merged;
  unlinkSync(join(merged!, "file"));
  rmSync(join(merged!, "gone"), { recursive: true });
  rmSync(join(merged!, "opq"), { recursive: true });
  mkdirSync(join(merged!, "opq"));
  writeFileSync(join(merged!, "opq/new"), "new");
  writeFileSync(join(merged!, "added"), "added");
  Bun.spawnSync(["umount", merged!]);
  mounted = undefined;
  const names: string[] = [];
  for await (const { entry } of readTar(diffOverlayUpper(upper!))) names.push(`${entry.path} ${entry.type}`);
  expect(names).toEqual(["added file", ".wh.file file", ".wh.gone file", "opq/ dir", "opq/.wh..wh..opq file", "opq/new file"]);
});
