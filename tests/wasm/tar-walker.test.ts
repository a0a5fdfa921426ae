// The WASM tar walker against archives written by GNU tar and busybox tar.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { InvalidDataError } from "../../src/errors.ts";
import { WasmTarWalker } from "../../src/layer/wasm/tar-walker.ts";
import { compareWithSource, gnuTarPaths, LONG_FILE, LONG_NAME, LONG_TARGET, makeFixtures, walk, type Fixtures } from "./tar-fixtures.ts";

let fx: Fixtures;
beforeAll(() => {
  fx = makeFixtures(mkdtempSync("/tmp/berth-test-wasm-tar-"));
});
afterAll(() => {
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

const archives = [
  { name: "gnu", file: "gnu.tar", frac: false, xattrs: false },
  { name: "pax", file: "pax.tar", frac: true, xattrs: true },
  { name: "ustar", file: "ustar.tar", frac: false, xattrs: false },
  { name: "busybox", file: "busybox.tar", frac: false, xattrs: false },
] as const;

describe("WasmTarWalker on real archives", () => {
  for (const a of archives) {
    test(`${a.name}: every entry matches its source file and tar -t`, () => {
      const walked = walk(new WasmTarWalker(), fx[a.name]);
      expect(walked.map((w) => w.entry.path)).toEqual(gnuTarPaths(fx.dir, a.file));
      expect(compareWithSource(fx.dir, walked, { fractionalMtime: a.frac, xattrs: a.xattrs })).toEqual([]);
      const paths = new Set(walked.map((w) => w.entry.path));
      if (a.name !== "ustar") {
        for (const p of [`tree/${LONG_FILE}`, `tree/${LONG_NAME}`, "tree/link-long", "tree/fifo", "tree/chardev", "tree/blockdev", "tree/ünïcode-名前.txt"]) {
          expect(paths.has(p)).toBe(true);
        }
        const link = walked.find((w) => w.entry.path === "tree/link-long");
        expect(link?.entry.linkname).toBe(LONG_TARGET);
        expect(walked.filter((w) => w.entry.type === "hardlink").length).toBe(1);
      } else {
        expect(paths.has(`tree/${LONG_FILE}`)).toBe(true);
      }
      if (a.name === "gnu" || a.name === "pax") {
        const old = walked.find((w) => w.entry.path === "old/ancient");
        expect(old?.entry.mtime).toBe(-315_619_200);
        expect(walked.filter((w) => w.entry.type === "hardlink").map((w) => [w.entry.path, w.entry.linkname])).toEqual([["tree/hard", "tree/b100003"]]);
      }
    });
  }

  test("big uid/gid: base-256 (gnu) and PAX records", () => {
    for (const bytes of [fx.bigIdsGnu, fx.bigIdsPax]) {
      const walked = walk(new WasmTarWalker(), bytes);
      expect(walked.length).toBeGreaterThan(10);
      expect(compareWithSource(fx.dir, walked, { fractionalMtime: bytes === fx.bigIdsPax, uid: 3_000_000, gid: 3_000_001 })).toEqual([]);
      expect(walked.every((w) => w.entry.uname === "big" && w.entry.gname === "big")).toBe(true);
    }
  });

  test("chunk splits at 1, 7, 511, 512, 513 and random give identical results", () => {
    for (const a of archives) {
      const bytes = fx[a.name];
      const whole = walk(new WasmTarWalker(), bytes);
      // Chunks of 1 byte cost one component call per byte: keep to one archive.
      const sizes = a.name === "ustar" ? [1, 7, 511, 512, 513] : [7, 511, 512, 513];
      for (const size of sizes) expect(walk(new WasmTarWalker(), bytes, () => size)).toEqual(whole);
      for (let round = 0; round < 3; round++) {
        expect(walk(new WasmTarWalker(), bytes, () => 1 + Math.floor(Math.random() * 3000))).toEqual(whole);
      }
    }
  });
});

describe("WasmTarWalker on bad input", () => {
  test("a corrupt header checksum throws InvalidDataError", () => {
    const bytes = fx.gnu.slice();
    bytes[0] ^= 0x01;
    const w = new WasmTarWalker();
    expect(() => w.push(bytes)).toThrow(InvalidDataError);
    // The error is sticky: the walker never resumes in the middle of garbage.
    expect(() => w.push(new Uint8Array(512))).toThrow("archive/tar: invalid tar header");
    expect(() => w.finish()).toThrow(InvalidDataError);
  });

  test("a corrupt header in a later chunk is reported there", () => {
    const bytes = fx.pax.slice();
    bytes[512 * 3 + 10] ^= 0x55;
    const w = new WasmTarWalker();
    expect(() => {
      for (let i = 0; i < bytes.length; i += 100) w.push(bytes.subarray(i, i + 100));
    }).toThrow(InvalidDataError);
  });

  test("a truncated stream makes finish() throw", () => {
    for (const cut of [100, 512 + 1, 512 * 3 - 1, fx.gnu.length / 2]) {
      const w = new WasmTarWalker();
      w.push(fx.gnu.subarray(0, Math.floor(cut / 512) * 512 + (cut % 512)));
      expect(() => w.finish()).toThrow(InvalidDataError);
    }
  });

  test("ending right after an entry (no end blocks) is accepted", () => {
    // The first entry is tree/ (a directory, no data): one block.
    const w = new WasmTarWalker();
    const events = w.push(fx.gnu.subarray(0, 512));
    expect(events.map((e) => e.kind)).toEqual(["entry", "entryEnd"]);
    w.finish();
  });

  test("a PAX header without its entry is truncated", () => {
    const w = new WasmTarWalker();
    // pax.tar starts with tree/ (no extended header); find the first 'x' block.
    let at = 0;
    while (fx.pax[at + 156] !== "x".charCodeAt(0)) at += 512;
    w.push(fx.pax.subarray(at, at + 1024));
    expect(() => w.finish()).toThrow("unexpected EOF");
  });

  test("a malformed PAX record throws", () => {
    let at = 0;
    while (fx.pax[at + 156] !== "x".charCodeAt(0)) at += 512;
    const bytes = fx.pax.slice(at);
    bytes[512] = "9".charCodeAt(0); // the record length no longer matches
    bytes[513] = "9".charCodeAt(0);
    expect(() => new WasmTarWalker().push(bytes)).toThrow(InvalidDataError);
  });

  test("bytes after the end-of-archive blocks are ignored", () => {
    const bytes = new Uint8Array(fx.gnu.length + 512);
    bytes.set(fx.gnu);
    bytes.fill(0x41, fx.gnu.length);
    expect(walk(new WasmTarWalker(), bytes)).toEqual(walk(new WasmTarWalker(), fx.gnu));
  });
});
