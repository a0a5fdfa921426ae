// Archives written with WasmTarHeaderEncoder: read back by GNU tar (list and
// extract) and by the WASM walker (round trip).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidDataError } from "../../src/errors.ts";
import type { TarEntry } from "../../src/layer/tar/types.ts";
import { WasmTarHeaderEncoder } from "../../src/layer/wasm/tar-encoder.ts";
import { WasmTarWalker } from "../../src/layer/wasm/tar-walker.ts";
import { entries, T } from "./sample-entries.ts";
import { run, sha256Hex, walk } from "./tar-fixtures.ts";

let dir: string;
let archive: Uint8Array;
beforeAll(() => {
  dir = mkdtempSync("/tmp/berth-test-wasm-enc-");
  const enc = new WasmTarHeaderEncoder();
  const parts: Uint8Array[] = [];
  for (const { entry, data } of entries) {
    parts.push(enc.header(entry));
    if (data) parts.push(data, enc.padding(data.length));
  }
  parts.push(enc.end());
  archive = Buffer.concat(parts);
  writeFileSync(join(dir, "out.tar"), archive);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the WASM walker reads back exactly what was written", () => {
  const walked = walk(new WasmTarWalker(), archive);
  expect(walked.map((w) => w.entry)).toEqual(entries.map((e) => e.entry));
  expect(walked.map((w) => w.sha256)).toEqual(entries.map((e) => sha256Hex(e.data ?? new Uint8Array())));
});

test("GNU tar lists the archive", () => {
  const names = run(["tar", "--quoting-style=literal", "-tf", join(dir, "out.tar")]).split("\n").filter(Boolean);
  expect(names).toEqual(entries.map((e) => e.entry.path));
  const verbose = run(["tar", "--xattrs", "--numeric-owner", "--full-time", "-tvvf", join(dir, "out.tar")]);
  expect(verbose).toContain("5000000/6000000");
  expect(verbose).toContain("2023-11-14 22:13:20.5 enc/xattrs");
  expect(verbose).toMatch(/x: +3 user\.a/);
});

test("GNU tar extracts it to the same files", () => {
  const out = join(dir, "x");
  mkdirSync(out);
  run(["tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpf", join(dir, "out.tar"), "-C", out]);
  for (const { entry, data } of entries) {
    const full = join(out, entry.path);
    const st = lstatSync(full, { bigint: true });
    expect(Number(st.mode) & 0o7777).toBe(entry.type === "symlink" ? 0o777 : entry.mode);
    if (entry.type === "symlink") expect(readlinkSync(full)).toBe(entry.linkname!);
    if (entry.type === "hardlink") expect(st.ino).toBe(lstatSync(join(out, entry.linkname!), { bigint: true }).ino);
    if (entry.type === "file") expect(sha256Hex(new Uint8Array(readFileSync(full)))).toBe(sha256Hex(data ?? new Uint8Array()));
    if (entry.type === "char" || entry.type === "block") expect(Number(st.rdev)).toBe((entry.devmajor! << 8) | entry.devminor!);
    if (entry.type !== "hardlink") {
      expect([Number(st.uid), Number(st.gid)]).toEqual([entry.uid, entry.gid]);
      if (entry.type !== "dir" && entry.type !== "symlink") expect(Number(st.mtimeNs) / 1e9).toBe(entry.mtime);
    }
  }
  const xattrs = run(["python3", "-c", `import os; p=${JSON.stringify(join(out, "enc/xattrs"))}; print(sorted((k, os.getxattr(p, k).hex()) for k in os.listxattr(p)))`]);
  expect(xattrs.trim()).toBe("[('user.a', '0001ff'), ('user.empty', '')]");
});

test("sizes above 8 GiB go into a PAX record", () => {
  const entry: TarEntry = { path: "huge", type: "file", mode: 0o644, uid: 0, gid: 0, size: 10 * 2 ** 30, mtime: T };
  const header = new WasmTarHeaderEncoder().header(entry);
  expect(new TextDecoder().decode(header)).toContain(`size=${10 * 2 ** 30}\n`);
  const events = new WasmTarWalker().push(header);
  expect(events).toEqual([{ kind: "entry", entry }]);
});

test("padding and end", () => {
  const enc = new WasmTarHeaderEncoder();
  expect([0, 1, 511, 512, 513].map((n) => enc.padding(n).length)).toEqual([0, 511, 1, 0, 511]);
  expect(enc.end()).toEqual(new Uint8Array(1024));
});

test("bad entries are refused", () => {
  const enc = new WasmTarHeaderEncoder();
  const base: TarEntry = { path: "a", type: "file", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 };
  expect(() => enc.header({ ...base, path: "" })).toThrow(InvalidDataError);
  expect(() => enc.header({ ...base, path: "a\0b" })).toThrow(InvalidDataError);
  expect(() => enc.header({ ...base, uid: -1 })).toThrow(InvalidDataError);
  expect(() => enc.header({ ...base, mtime: NaN })).toThrow(InvalidDataError);
});
