// The two layer engines (`berth daemon --layer-engine native|wasm`) give the
// same images: a corpus of layers (gzip, zstd and uncompressed; whiteouts, an
// opaque dir, hardlinks, long names, PAX headers, xattrs, big owner IDs,
// sparse-looking files) is loaded and pulled by a daemon of each engine, and
// every snapshot tree (modes, owners, times, xattrs, contents), diff ID,
// chain ID and digest must be the same.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, startDaemon, requireDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { describeTree, item, tarBytes } from "../fixtures/tar-layers.ts";
import { startBerthRegistry, hostArch, requireTools, sha256 } from "../registry/helpers.ts";
import { makeFixtures, missing, run } from "./tar-fixtures.ts";
import { chainIds } from "../../src/image/config.ts";
import { applyLayerInChild } from "../../src/layer/apply-process/in-child.ts";
import type { Digest } from "../../src/store/digest.ts";

const dir = mkdtempSync("/tmp/berth-test-engines-");
const ok = requireDaemon() && requireTools() && (!!Bun.which("zstd") || !missing("zstd is not installed"));
let native: TestDaemon | undefined;
let wasm: TestDaemon | undefined;
let registry: Awaited<ReturnType<typeof startBerthRegistry>> | undefined;
let archive: string;
let diffIds: Digest[];

beforeAll(async () => {
  if (!ok) return;
  const fx = makeFixtures(join(dir, "fx"));
  // Layer 1: GNU tar's PAX format (xattrs, long names and link targets, a hardlink, setuid, a fifo, fractional times).
  const l1 = fx.pax;
  // Layer 2: whiteouts and an opaque dir over layer 1, a hardlink, a name only PAX can hold, a big owner, a file of zeros.
  const zeros = new Uint8Array(3 << 20);
  zeros[1 << 20] = 1;
  const l2 = await tarBytes([
    item("tree/.wh.b1", "file"),
    item(`tree/.wh.link-short`, "file"),
    item("tree/sub", "dir", { mode: 0o700, uid: 1000, gid: 1000 }),
    item("tree/sub/.wh..wh..opq", "file"),
    item("tree/sub/new", "file", { content: "replaces the dir's old content\n", mode: 0o640, uid: 3_000_000, gid: 42 }),
    item("tree/sub/new-link", "hardlink", { linkname: "tree/sub/new" }),
    item(`tree/${"p".repeat(90)}/${"q".repeat(150)}`, "file", { content: "only PAX holds this path\n", mtime: 1_650_000_000.5 }),
    { entry: { path: "tree/sparse", type: "file", mode: 0o644, uid: 0, gid: 0, size: zeros.length, mtime: 1_650_000_000 }, body: zeros },
  ]);
  // Layer 3: GNU format (././@LongLink names), a negative mtime: uncompressed.
  const l3 = fx.gnu;
  diffIds = [sha256(l1), sha256(l2), sha256(l3)] as Digest[];
  const a = join(dir, "archive");
  mkdirSync(a);
  writeFileSync(join(a, "l1.tar.gz"), Bun.gzipSync(l1 as Uint8Array<ArrayBuffer>));
  writeFileSync(join(a, "l2.tar.zst"), Bun.zstdCompressSync(l2 as Uint8Array<ArrayBuffer>));
  writeFileSync(join(a, "l3.tar"), l3);
  const config = { architecture: hostArch(), os: "linux", config: { Cmd: ["/tree/b513"] }, rootfs: { type: "layers", diff_ids: diffIds } };
  writeFileSync(join(a, "config.json"), JSON.stringify(config));
  writeFileSync(join(a, "manifest.json"), JSON.stringify([{ Config: "config.json", RepoTags: ["engines:corpus"], Layers: ["l1.tar.gz", "l2.tar.zst", "l3.tar"] }]));
  archive = join(dir, "corpus.tar");
  run(["tar", "-cf", archive, "-C", a, "."]);

  registry = await startBerthRegistry(join(dir, "registry"));
  native = await startDaemon({ args: ["--layer-engine", "native", "--log-level", "debug"], logFile: true });
  const file = join(dir, "daemon.json");
  writeFileSync(file, JSON.stringify({ "layer-engine": "wasm", "log-level": "debug" }));
  wasm = await startDaemon({ args: ["--config-file", file], logFile: true });
}, 120_000);

afterAll(async () => {
  await native?.stop();
  await wasm?.stop();
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(d: TestDaemon, args: string[]): Promise<string> {
  const r = await d.cli(args, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`berth ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Times the tar does not set are left out: a whiteout's (made when applied) and
 * one before 1970 (Bun's utimes ignores negative times, whichever engine walked the tar).
 */
function untimed(line: string): string {
  return line.startsWith("old/ancient ") || / c0 0:0 rdev 0 /.test(line) ? line.replace(/ t-?\d+$/, "") : line;
}

/** What a daemon holds of an image: IDs and digests, and each layer's snapshot tree. */
async function holding(d: TestDaemon, name: string) {
  const [inspect] = JSON.parse(await cli(d, ["image", "inspect", name]));
  const layers: Digest[] = inspect.RootFS.Layers;
  return {
    id: inspect.Id,
    layers,
    trees: chainIds(layers).map((c) => describeTree(join(d.dir, "data/layers", c.slice(7), "diff"), { times: true }).map(untimed)),
  };
}

describe("layer engines", () => {
  test("info shows the engine in use, from the flag and from daemon.json", async () => {
    if (!ok) return;
    expect(await cli(native!, ["info"])).toContain("  Layer Engine: native\n");
    expect(await cli(wasm!, ["info"])).toContain("  Layer Engine: wasm\n");
    expect(JSON.parse(await cli(wasm!, ["info", "--format", "{{json .DriverStatus}}"]))).toContainEqual(["Layer Engine", "wasm"]);
  });

  test("load and pull give the same trees, modes, owners and digests under both engines", async () => {
    if (!ok) return;
    const remote = `${registry!.host}/engines/corpus:1`;
    await cli(native!, ["load", "-i", archive]);
    const nativeLoad = await holding(native!, "engines:corpus");
    expect(nativeLoad.layers).toEqual(diffIds);
    // Layer 2 shows its whiteouts and opaque dir in overlay form, its big owner and sparse-looking file as they were.
    const l2 = nativeLoad.trees[1]!.join("\n");
    expect(l2).toMatch(/^tree\/b1 c0 0:0 rdev 0/m);
    expect(l2).toMatch(/^tree\/sub d700 1000:1000 .*trusted\.overlay\.opaque=79/m);
    expect(l2).toMatch(/^tree\/sub\/new -640 3000000:42 \S+ n2/m);
    await cli(native!, ["tag", "engines:corpus", remote]);
    await cli(native!, ["push", remote]);
    await cli(native!, ["rmi", "engines:corpus", remote]);
    await cli(native!, ["pull", remote]);
    const nativePull = await holding(native!, remote);

    await cli(wasm!, ["pull", remote]);
    const wasmPull = await holding(wasm!, remote);
    await cli(wasm!, ["rmi", remote]);
    await cli(wasm!, ["load", "-i", archive]);
    const wasmLoad = await holding(wasm!, "engines:corpus");

    for (const h of [nativePull, wasmPull, wasmLoad]) expect(h).toEqual(nativeLoad);
    const digests = async (d: TestDaemon) => (await cli(d, ["image", "inspect", "--format", "{{json .RepoDigests}}", remote])).trim();
    await cli(wasm!, ["pull", remote]);
    expect(await digests(wasm!)).toBe(await digests(native!));

    // Each daemon applied its layers with the engine it was given.
    const log = (d: TestDaemon) => readFileSync(join(d.dir, "daemon.err"), "utf8");
    expect(log(wasm!)).toContain(`layer ${diffIds[1]} applied by the wasm engine`);
    expect(log(wasm!)).not.toContain("by the native engine");
    expect(log(native!)).toContain(`layer ${diffIds[1]} applied by the native engine`);
    expect(log(native!)).not.toContain("by the wasm engine");
  }, 120_000);

  test("an unknown engine is refused at start, from the flag and from daemon.json", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ "layer-engine": "fast" }));
    for (const args of [["--layer-engine", "fast"], ["--config-file", file]]) {
      const p = Bun.spawn([...berthCmd, "daemon", "--bridge", "none", "--data-root", join(dir, "bad-data"), "--exec-root", join(dir, "bad-exec"), ...args], { stdout: "pipe", stderr: "pipe" });
      expect(await p.exited).toBe(1);
      expect(await new Response(p.stderr).text()).toContain('invalid layer-engine "fast": must be "native" or "wasm"');
    }
    expect(existsSync(join(dir, "bad-data"))).toBe(false);
  });

  test("the engine reaches the apply process, and each engine gives the same result", async () => {
    const layer = Bun.gzipSync((await tarBytes([item("d", "dir"), item("d/f", "file", { content: "x".repeat(5000) }), item("d/l", "symlink", { linkname: "f" })])) as Uint8Array<ArrayBuffer>);
    const results = [];
    for (const engine of ["native", "wasm"] as const) {
      const target = join(dir, `apply-${engine}`);
      const { engine: used, diffID, digest, size, entries } = await applyLayerInChild((async function* () { yield layer; })(), target, { engine });
      expect(used).toBe(engine);
      results.push({ diffID, digest, size, entries, tree: describeTree(target, { times: true }) });
    }
    expect(results[1]).toEqual(results[0]!);
    expect(results[0]!.digest).toBe(sha256(layer));
  });
});
