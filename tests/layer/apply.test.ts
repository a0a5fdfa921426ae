// applyLayer on plain, gzip and zstd layers written by GNU tar: every kind
// of entry lands with its mode, owner, mtime, xattrs and link count; diffID
// and digest are right. Then a 3-layer image with whiteouts and an opaque
// dir, applied in "delete" mode into one dir and in "overlay" mode into
// three snapshots mounted with overlayfs: both views must be the same.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { applyLayer } from "../../src/layer/apply.ts";
import { lgetxattr } from "../../src/layer/fs/libc.ts";
import { makeTree, need } from "../fixtures/tar-tree.ts";
import { describeTree, item, tarBytes, T0 } from "../fixtures/tar-layers.ts";

let tmp: string;
let tarFile: string;
const mounts: string[] = [];
beforeAll(() => {
  tmp = mkdtempSync("/tmp/berth-test-apply-");
  makeTree(join(tmp, "src"), { veryLongNames: true, xattrs: true, fractionalTimes: true });
  tarFile = join(tmp, "layer.tar");
  const r = Bun.spawnSync(["tar", "--format=pax", "--xattrs", "--xattrs-include=user.*", "-cf", tarFile, "-C", join(tmp, "src"), "."]);
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  Bun.spawnSync(["sh", "-c", `gzip -c ${tarFile} > ${tarFile}.gz && zstd -q -c ${tarFile} > ${tarFile}.zst`]);
});
afterAll(() => {
  for (const m of mounts) Bun.spawnSync(["umount", m]);
  rmSync(tmp, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => "sha256:" + new Bun.CryptoHasher("sha256").update(b).digest("hex");

describe.each([
  ["plain", "", undefined],
  ["gzip", ".gz", undefined],
  ["zstd (native)", ".zst", "native"],
  ["zstd (zstd-codec)", ".zst", "zstd-codec"],
] as const)("a %s layer", (name, ext, zstdDecoder) => {
  test("lands with every attribute", async () => {
    if (ext === ".zst" && !need(!!Bun.which("zstd"), "the zstd CLI is not installed")) return;
    const blob = readFileSync(tarFile + ext);
    const target = join(tmp, `out-${name.replace(/\W+/g, "-")}`);
    const r = await applyLayer(Bun.file(tarFile + ext).stream(), target, { whiteoutMode: "delete", devices: "create", zstdDecoder });
    const tar = readFileSync(tarFile);
    expect(r.diffID).toBe(sha(tar));
    expect(r.digest).toBe(sha(blob));
    expect(r.size).toBe(tar.length);
    expect(r.compression).toBe(ext === "" ? "none" : ext === ".gz" ? "gzip" : "zstd");
    expect(describeTree(target, { times: true })).toEqual(describeTree(join(tmp, "src"), { times: true }));
    // Spot checks of what describeTree folds together.
    const st = lstatSync(join(target, "dir/small.txt"));
    expect(st.nlink).toBe(2);
    expect(st.mtimeMs).toBeCloseTo((1_600_000_001.25) * 1000, 2);
    expect(lstatSync(join(target, "dir/sticky")).mtimeMs).toBe(1_600_000_003_000);
    expect(lstatSync(join(target, "dir/link")).mtimeMs).toBe(1_600_000_007_000);
    expect(lstatSync(join(target, "dir/setuid")).mode & 0o7777).toBe(0o4755);
    expect(new TextDecoder().decode(lgetxattr(join(target, "dir/small.txt"), "user.note"))).toBe("a note");
  });
});

test("device nodes are skipped by default and refused on request", async () => {
  const tar = readFileSync(tarFile);
  const r = await applyLayer([tar], join(tmp, "nodev"), { whiteoutMode: "delete" });
  expect(r.skippedDevices).toBe(1);
  expect(existsSync(join(tmp, "nodev/dir/null"))).toBe(false);
  await expect(applyLayer([tar], join(tmp, "nodev2"), { devices: "refuse" })).rejects.toThrow(/device node/);
});

test("xz and bzip2 layers are refused by name", async () => {
  const xz = Bun.spawnSync(["xz", "-c", tarFile]).stdout;
  await expect(applyLayer([xz], join(tmp, "xz"))).rejects.toThrow(/xz/);
  const bz = Buffer.concat([Buffer.from("BZh91AY&SY"), Buffer.alloc(100)]); // the bzip2 CLI may be absent; the magic is enough
  await expect(applyLayer([bz], join(tmp, "bz"))).rejects.toThrow(/bzip2/);
});

describe("three layers with whiteouts", () => {
  const f = (p: string, content: string, extra = {}) => item(p, "file", { content, ...extra });
  const layers = async () => [
    await tarBytes([
      item("a/", "dir"), f("a/keep", "keep"), f("a/gone", "gone"), item("a/dir/", "dir"), f("a/dir/x", "x"),
      item("b/", "dir", { mode: 0o750 }), f("b/old", "old"), item("b/sub/", "dir"), f("b/sub/deep", "deep"),
      item("c/", "dir"), f("c/file", "c"), item("c/link", "symlink", { linkname: "file" }),
    ]),
    await tarBytes([
      item("a/", "dir"), f("a/.wh.gone", ""), f("a/added", "added"),
      item("b/", "dir", { mode: 0o750 }), f("b/.wh..wh..opq", ""), f("b/new", "new"),
      item("c/", "dir"), f("c/.wh.file", ""),
    ]),
    await tarBytes([
      item("a/", "dir"), f("a/gone", "back again"), f("a/.wh.dir", ""),
      item("c/", "dir"), f("c/.wh.link", ""), f("c/file", "c2"),
    ]),
  ];
  const expected = [
    "a d755 0:0 ", "a/added -644", "a/gone -644", "a/keep -644", "b d750 0:0 ", "b/new -644", "c d755 0:0 ", "c/file -644",
  ];
  const shape = (lines: string[]) => lines.map((l) => {
    const [p, kind] = l.split(" ");
    return `${p} ${kind}` + (kind!.startsWith("d") ? " 0:0 " : "");
  });

  test("delete mode: applied in order into one dir", async () => {
    const dir = join(tmp, "flat");
    for (const l of await layers()) await applyLayer([l], dir, { whiteoutMode: "delete" });
    expect(shape(describeTree(dir))).toEqual(expected);
    expect(readFileSync(join(dir, "a/gone"), "utf8")).toBe("back again");
    expect(lstatSync(join(dir, "a")).mtimeMs).toBe(T0 * 1000);
  });

  test("overlay mode: three snapshots mounted read-only give the same view", async () => {
    const ls = await layers();
    const snaps = ls.map((_, i) => join(tmp, `snap${i}`));
    for (let i = 0; i < ls.length; i++) await applyLayer([ls[i]!], snaps[i]!, { whiteoutMode: "overlay" });
    const wh = lstatSync(join(snaps[1]!, "a/gone"));
    expect(wh.isCharacterDevice() && wh.rdev).toBe(0);
    expect(new TextDecoder().decode(lgetxattr(join(snaps[1]!, "b"), "trusted.overlay.opaque"))).toBe("y");
    const merged = join(tmp, "merged");
    mkdirSync(merged);
    const m = Bun.spawnSync(["mount", "-t", "overlay", "overlay", "-o", `ro,lowerdir=${[...snaps].reverse().join(":")}`, merged]);
    if (!need(m.exitCode === 0, `overlay mount failed: ${m.stderr.toString()}`)) return;
    mounts.push(merged);
    expect(shape(describeTree(merged))).toEqual(expected);
    expect(readFileSync(join(merged, "a/gone"), "utf8")).toBe("back again");
    expect(readFileSync(join(merged, "c/file"), "utf8")).toBe("c2");
  });
});

test("a stream that ends inside an entry fails and leaves no open files", async () => {
  const tar = readFileSync(tarFile);
  const fds = () => readdirSync("/proc/self/fd").length;
  const before = fds();
  await expect(applyLayer([tar.subarray(0, 3000)], join(tmp, "trunc"))).rejects.toThrow(/unexpected end/);
  // Other tests in this process may close descriptors meanwhile; none may be added.
  expect(fds()).toBeLessThanOrEqual(before);
});
