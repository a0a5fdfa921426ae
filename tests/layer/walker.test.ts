// The TypeScript tar walker on archives written by GNU tar (gnu, pax, ustar)
// and busybox tar, fed in chunks of 1, 511, 512, 513 and random sizes; each
// result is compared with GNU tar's own listing and the source files.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { TarStreamWalker } from "../../src/layer/tar/walker.ts";
import type { TarEntry } from "../../src/layer/tar/types.ts";
import { InvalidDataError } from "../../src/errors.ts";
import { listTar, makeTree, modeString, need, type TreeOptions } from "../fixtures/tar-tree.ts";

let tmp: string;
beforeAll(() => { tmp = mkdtempSync("/tmp/berth-test-walker-"); });
afterAll(() => { rmSync(tmp, { recursive: true, force: true }); });

const TYPE_LETTER: Record<TarEntry["type"], string> = { file: "-", dir: "d", symlink: "l", hardlink: "h", char: "c", block: "b", fifo: "p" };

interface Walked { entry: TarEntry; data: Buffer }

function walk(bytes: Uint8Array, sizes: () => number): Walked[] {
  const w = new TarStreamWalker();
  const out: Walked[] = [];
  let parts: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; ) {
    const n = Math.min(sizes(), bytes.length - off);
    for (const ev of w.push(bytes.slice(off, off + n))) {
      if (ev.kind === "entry") { out.push({ entry: ev.entry, data: Buffer.alloc(0) }); parts = []; }
      else if (ev.kind === "data") parts.push(ev.data.slice());
      else out[out.length - 1]!.data = Buffer.concat(parts);
    }
    off += n;
  }
  w.finish();
  return out;
}

function seeded(seed: number) {
  return () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return 1 + (seed % 5000); };
}

const CHUNKINGS: [string, () => () => number][] = [
  ["1", () => () => 1], ["511", () => () => 511], ["512", () => () => 512], ["513", () => () => 513], ["random", () => seeded(7)],
];

const FORMATS: [string, TreeOptions, (src: string, out: string) => string[]][] = [
  ["gnu", { veryLongNames: true, xattrs: false, fractionalTimes: false }, (s, o) => ["tar", "--format=gnu", "-cf", o, "-C", s, "."]],
  ["pax", { veryLongNames: true, xattrs: true, fractionalTimes: true }, (s, o) => ["tar", "--format=pax", "--xattrs", "--xattrs-include=user.*", "-cf", o, "-C", s, "."]],
  ["ustar", { veryLongNames: false, xattrs: false, fractionalTimes: false }, (s, o) => ["tar", "--format=ustar", "-cf", o, "-C", s, "."]],
  ["busybox", { veryLongNames: true, xattrs: false, fractionalTimes: false }, (s, o) => ["/bin/busybox", "tar", "-cf", o, "-C", s, "."]],
];

describe.each(FORMATS)("%s archives", (format, treeOpts, cmd) => {
  let archive: Uint8Array;
  let src: string;
  beforeAll(() => {
    if (format === "busybox" && !existsSync("/bin/busybox")) return;
    src = join(tmp, `src-${format}`);
    makeTree(src, treeOpts);
    const file = join(tmp, `${format}.tar`);
    const r = Bun.spawnSync(cmd(src, file));
    if (r.exitCode !== 0) throw new Error(`${cmd(src, file).join(" ")}: ${r.stderr.toString()}`);
    archive = readFileSync(file);
  });

  test.each(CHUNKINGS)("chunks of %s bytes match tar -tv and the files", (_, sizes) => {
    if (!need(!!archive, "busybox-static is not installed (/bin/busybox)")) return;
    const walked = walk(archive, sizes());
    const listed = listTar(join(tmp, `${format}.tar`));
    expect(walked.map((w) => w.entry.path)).toEqual(listed.map((l) => l.path));
    for (let i = 0; i < listed.length; i++) {
      const l = listed[i]!;
      const { entry: e, data } = walked[i]!;
      expect({ path: e.path, type: TYPE_LETTER[e.type], mode: modeString(e.mode), uid: e.uid, gid: e.gid, link: e.linkname })
        .toEqual({ path: l.path, type: l.type, mode: l.mode, uid: l.uid, gid: l.gid, link: l.link });
      expect(Math.abs(e.mtime - l.mtime)).toBeLessThan(1e-6);
      if (e.type === "file") {
        expect(e.size).toBe(l.size);
        expect(data.equals(readFileSync(join(src, e.path)))).toBe(true);
      }
      if (l.dev) expect([e.devmajor, e.devminor]).toEqual(l.dev);
    }
    const longest = Math.max(...walked.map((w) => w.entry.path.length));
    expect(longest).toBeGreaterThan(treeOpts.veryLongNames ? 255 : 100);
    if (treeOpts.xattrs) {
      const small = walked.find((w) => w.entry.path === "./dir/small.txt")!.entry;
      expect(new TextDecoder().decode(small.xattrs!["user.note"])).toBe("a note");
      const big = walked.find((w) => w.entry.path === "./dir/big.bin")!.entry;
      expect([...big.xattrs!["user.bin"]!]).toEqual([0, 1, 2, 255, 10, 61]);
    }
    if (treeOpts.fractionalTimes) {
      const small = walked.find((w) => w.entry.path === "./dir/small.txt")!.entry;
      expect(small.mtime).toBeCloseTo(1_600_000_001.25, 6);
    }
  });
});

describe("malformed input", () => {
  function header(mutate: (h: Uint8Array) => void): Uint8Array {
    const r = Bun.spawnSync(["tar", "--format=ustar", "-cf", "-", "-C", "/etc", "hostname"]);
    const h = r.stdout.slice(0, 512);
    mutate(h);
    return h;
  }

  test("a bad checksum is refused", () => {
    const h = header((h) => { h[0] = h[0]! ^ 1; });
    expect(() => new TarStreamWalker().push(h)).toThrow(InvalidDataError);
  });

  test("end of input inside an entry is refused, at a block boundary it is tolerated", () => {
    const whole = Bun.spawnSync(["tar", "--format=ustar", "-cf", "-", "-C", "/etc", "hostname", "passwd"]).stdout;
    const w = new TarStreamWalker();
    w.push(whole.subarray(0, 512 + 10));
    expect(() => w.finish()).toThrow(InvalidDataError);
    const w2 = new TarStreamWalker();
    const firstSize = parseInt(new TextDecoder().decode(whole.subarray(124, 135)), 8);
    w2.push(whole.subarray(0, 512 + Math.ceil(firstSize / 512) * 512));
    expect(() => w2.finish()).not.toThrow();
    // Right after the data, before its padding (umoci 0.4 writes that; Go's reader accepts it).
    const w3 = new TarStreamWalker();
    w3.push(whole.subarray(0, 512 + firstSize));
    expect(() => w3.finish()).not.toThrow();
    const w4 = new TarStreamWalker();
    w4.push(whole.subarray(0, 512 + firstSize + 1));
    expect(() => w4.finish()).toThrow(InvalidDataError);
  });

  test("GNU sparse files are refused with a clear error", () => {
    const h = header((h) => { h[156] = "S".charCodeAt(0); });
    // fix the checksum after the type change
    h.fill(0x20, 148, 156);
    let sum = 0; for (const b of h) sum += b;
    h.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    expect(() => new TarStreamWalker().push(h)).toThrow(/sparse/);
  });

  test("base-256 numbers (GNU) are read", () => {
    const h = header((h) => {
      h.fill(0, 124, 136);
      h[124] = 0x80; h[135] = 5; // size 5 in base-256
      h.fill(0x20, 148, 156);
      let sum = 0; for (const b of h) sum += b;
      h.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    });
    const evs = new TarStreamWalker().push(h);
    expect(evs[0]!.kind === "entry" && evs[0]!.entry.size).toBe(5);
  });
});
