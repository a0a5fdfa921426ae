// applyLayerInChild (what the daemon uses): the same tree, digests and
// errors as applyLayer in the caller's process; a source that fails mid-way
// stops the process before the caller gets the error back; no more layers
// apply at once than the cores keep busy, and a hash thread only where a
// core is left for it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { applyLayer, HASH_THREAD_MIN } from "../../src/layer/apply.ts";
import { APPLIES_AT_ONCE, applyLayerInChild, IDLE_MS, idleApplyProcesses } from "../../src/layer/apply-process/in-child.ts";
import { fileSource } from "../../src/layer/source.ts";
import { InvalidDataError } from "../../src/errors.ts";
import { describeTree, item, tarBytes } from "../fixtures/tar-layers.ts";

let tmp: string;
beforeAll(() => (tmp = mkdtempSync("/tmp/berth-test-apply-process-")));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The bytes in small chunks, as a network source delivers them. */
async function* chunked(b: Uint8Array, size = 4096): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function layer(): Promise<Uint8Array> {
  const big = "x".repeat(300_000);
  return gzipSync(await tarBytes([
    item("etc", "dir"),
    item("etc/hello", "file", { content: "hello\n", mode: 0o600, uid: 1000, gid: 1000 }),
    item("etc/big", "file", { content: big }),
    item("etc/link", "symlink", { linkname: "hello" }),
    item("etc/.wh.gone", "file"),
    item("bin", "dir", { mode: 0o700 }),
  ]));
}

test("same tree, diffID and digest as the in-thread applier", async () => {
  const blob = await layer();
  const here = await applyLayer(chunked(blob), join(tmp, "here"));
  const there = await applyLayerInChild(chunked(blob), join(tmp, "there"));
  expect(there).toEqual(here);
  expect(there.compression).toBe("gzip");
  // (Times are left out: a whiteout's device node is made at apply time.)
  expect(describeTree(join(tmp, "there"))).toEqual(describeTree(join(tmp, "here")));
  expect(readFileSync(join(tmp, "there/etc/big"), "utf8")).toHaveLength(300_000);
});

test("the caller's buffers stay its own: the same Buffer applied three times at once, then again", async () => {
  const blob = await layer(); // a Buffer: its slice() is a view, which must not be handed over
  const before = Buffer.from(blob);
  const results = await Promise.all([0, 1, 2].map((i) => applyLayerInChild(chunked(blob), join(tmp, `same-${i}`))));
  const again = await applyLayerInChild(chunked(blob), join(tmp, "same-again"));
  for (const r of [...results, again]) expect(r.diffID).toBe(results[0]!.diffID);
  expect(results[0]!.size).toBeGreaterThan(300_000);
  expect(blob.byteLength).toBe(before.byteLength);
  expect(Buffer.compare(Buffer.from(blob), before)).toBe(0);
  // And a truncated copy is refused every time, as on the caller's thread.
  for (let i = 0; i < 3; i++) {
    const e = await applyLayerInChild(chunked(blob.subarray(0, 200)), join(tmp, `cut-${i}`)).catch((x) => x);
    expect(e).toBeInstanceOf(InvalidDataError);
  }
});

test("a corrupt layer is an InvalidDataError on this side too", async () => {
  const blob = await layer();
  const bad = blob.slice();
  bad.fill(0x55, 40, 400); // deflate data that cannot decode
  const e = await applyLayerInChild(chunked(bad), join(tmp, "bad")).catch((x) => x);
  expect(e).toBeInstanceOf(InvalidDataError);
  expect(e.message).toStartWith("invalid layer: gzip stream is corrupt");
});

test("a source failing mid-way: its error comes back once the process has stopped", async () => {
  const blob = await layer();
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield* chunked(blob.subarray(0, 2000), 500);
    throw new Error("connection reset by the test");
  }
  const target = join(tmp, "failing");
  await expect(applyLayerInChild(failing(), target)).rejects.toThrow("connection reset by the test");
  // The process is gone: removing the target now races with nobody.
  rmSync(target, { recursive: true, force: true });
  await Bun.sleep(50);
  expect(existsSync(target)).toBe(false);
  expect(readdirSync(tmp)).not.toContain("failing");
});

/** The PIDs of this process's `__apply` children. */
function applyChildren(): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0").includes("__apply")) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The one `__apply` child, once it is there. */
async function applyChild(): Promise<number> {
  const until = Date.now() + 10_000;
  while (applyChildren().length === 0 && Date.now() < until) await Bun.sleep(10);
  const children = applyChildren();
  expect(children).toHaveLength(1);
  return children[0]!;
}

test("a process applies layer after layer, is stopped when a source fails, and ends when left idle", async () => {
  const blob = await layer();
  const other = gzipSync(await tarBytes([item("only", "dir"), item("only/file", "file", { content: "second layer\n" })]));
  const slow = stalled(blob, () => {});
  const applied = applyLayerInChild(slow.source, join(tmp, "own-1"));
  const child = await applyChild();
  slow.go();
  expect((await applied).diffID).toBe((await applyLayer(chunked(blob), join(tmp, "own-here"))).diffID);
  // Kept, and the next layer goes to the same process: nothing of the first one's state leaks into it.
  expect(idleApplyProcesses()).toBeGreaterThanOrEqual(1);
  const second = await applyLayerInChild(chunked(other), join(tmp, "own-2"));
  expect(second).toEqual(await applyLayer(chunked(other), join(tmp, "own-2-here")));
  expect(readdirSync(join(tmp, "own-2"))).toEqual(["only"]);
  expect(applyChildren()).toContain(child);
  // A source that fails while the process waits for more: the process is stopped before the error comes back.
  async function* stuck(): AsyncGenerator<Uint8Array> {
    yield blob.subarray(0, 100);
    throw new Error("upload cut by the test");
  }
  await expect(applyLayerInChild(stuck(), join(tmp, "own-3"))).rejects.toThrow("upload cut by the test");
  expect(existsSync(`/proc/${child}`)).toBe(false);
  // A layer that fails ends its process: none is kept for the next.
  await applyLayerInChild(chunked(blob.subarray(0, 200)), join(tmp, "own-cut")).catch(() => {});
  expect(idleApplyProcesses()).toBe(0);
  // Left idle, a kept process ends: an idle daemon has none.
  await applyLayerInChild(chunked(other), join(tmp, "own-4"));
  expect(applyChildren()).toHaveLength(1);
  await Bun.sleep(IDLE_MS + 1000);
  expect(applyChildren()).toEqual([]);
  expect(idleApplyProcesses()).toBe(0);
}, 30_000);

test("whatever the applier leaves of a layer's bytes, the next layer on the same process starts clean", async () => {
  const blob = await layer();
  // A gzip stream with bytes after it, in small chunks: were the applier to stop at the stream's end,
  // the frames left would be read as the next layer's.
  const padded = Buffer.concat([blob, Buffer.alloc(64 << 10, 0x41)]);
  const first = await applyLayerInChild(chunked(padded, 1000), join(tmp, "padded")).catch((e) => e);
  const here = await applyLayer(chunked(padded, 1000), join(tmp, "padded-here")).catch((e) => e);
  expect(String(first?.diffID ?? first?.message)).toBe(String(here?.diffID ?? here?.message));
  const next = await applyLayerInChild(chunked(blob), join(tmp, "after-padded"));
  expect(next.diffID).toBe((await applyLayer(chunked(blob), join(tmp, "after-padded-here"))).diffID);
});

test("a process killed from outside is a clear error, and the next layer still applies", async () => {
  const blob = await layer();
  const slow = stalled(blob, () => {});
  const applied = applyLayerInChild(slow.source, join(tmp, "killed")).catch((e) => e);
  process.kill(await applyChild(), "SIGKILL");
  slow.go();
  const e = await applied;
  expect(e).toBeInstanceOf(Error);
  expect(e.message).toContain("layer apply process failed (SIGKILL)");
  expect((await applyLayerInChild(chunked(blob), join(tmp, "after-kill"))).diffID).toBe((await applyLayer(chunked(blob), join(tmp, "after-kill-here"))).diffID);
});

/** A source that gives `head`, then waits for `go` before the rest: a download still under way. */
function stalled(blob: Uint8Array, started: () => void) {
  let go!: () => void;
  const gate = new Promise<void>((r) => (go = r));
  async function* source(): AsyncGenerator<Uint8Array> {
    started();
    yield blob.subarray(0, 100);
    await gate;
    yield blob.subarray(100);
  }
  return { source: source(), go };
}

test("no more layers apply at once than the cores and one: the others wait their turn, then apply", async () => {
  const blob = await layer();
  const want = (await applyLayer(chunked(blob), join(tmp, "turn-here"))).diffID;
  let reading = 0;
  const layers = Array.from({ length: APPLIES_AT_ONCE + 2 }, () => stalled(blob, () => reading++));
  const applied = layers.map((l, i) => applyLayerInChild(l.source, join(tmp, `turn-${i}`)));
  // The sources of the running ones are read (a process took them); the rest are not touched yet.
  const until = Date.now() + 30_000;
  while (reading < APPLIES_AT_ONCE && Date.now() < until) await Bun.sleep(10);
  expect(reading).toBe(APPLIES_AT_ONCE);
  await Bun.sleep(100);
  expect(reading).toBe(APPLIES_AT_ONCE);
  for (const l of layers) l.go();
  for (const r of await Promise.all(applied)) expect(r.diffID).toBe(want);
  expect(reading).toBe(layers.length);
});

test("a big layer gets a hash thread only when a core is left for it", async () => {
  const cores = navigator.hardwareConcurrency;
  const tar = await tarBytes([item("big", "dir"), item("big/random", "file", { content: Buffer.from(crypto.getRandomValues(new Uint8Array(60_000))).toString("hex") })]);
  const path = join(tmp, "big.tar");
  writeFileSync(path, Buffer.concat([tar, Buffer.alloc(HASH_THREAD_MIN)]));
  const alone = await applyLayerInChild(fileSource(path), join(tmp, "big-alone"));
  expect(alone.hashThread).toBe(cores > 1 ? true : undefined);
  // Beside applies that take every core but one (still reading their downloads), it hashes on its own thread.
  const busy = Array.from({ length: cores - 1 }, () => stalled(gzipSync(tar), () => {}));
  const running = busy.map((l, i) => applyLayerInChild(l.source, join(tmp, `busy-${i}`)));
  const beside = await applyLayerInChild(fileSource(path), join(tmp, "big-beside"));
  expect(beside.hashThread).toBeUndefined();
  expect(beside.diffID).toBe(alone.diffID);
  for (const l of busy) l.go();
  await Promise.all(running);
});
