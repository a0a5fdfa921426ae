// The encoder and streaming writer: GNU tar lists and extracts what they
// write exactly as described, the walker reads it back unchanged, and the
// same entries always give the same bytes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TarEntry } from "../../src/layer/tar/types.ts";
import { writeTar, tarStream, type TarWriteItem } from "../../src/layer/tar/write.ts";
import { readTar } from "../../src/layer/tar/read.ts";
import { lgetxattr } from "../../src/layer/fs/libc.ts";
import { listTar, modeString } from "../fixtures/tar-tree.ts";

let tmp: string;
beforeAll(() => { tmp = mkdtempSync("/tmp/berth-test-encoder-"); });
afterAll(() => { rmSync(tmp, { recursive: true, force: true }); });

const T = 1_700_000_000;
const long255 = ["p".repeat(120), "q".repeat(120), "r".repeat(60)].join("/");
const body = new Uint8Array(70_001).map((_, i) => (i * 31) & 0xff);

function items(): TarWriteItem[] {
  const e = (x: Partial<TarEntry> & Pick<TarEntry, "path" | "type">): TarEntry => ({ mode: 0o644, uid: 0, gid: 0, size: 0, mtime: T, ...x });
  return [
    { entry: e({ path: "d/", type: "dir", mode: 0o1777 }) },
    { entry: e({ path: "d/file", type: "file", size: body.length, mode: 0o4755, uid: 3_000_000, gid: 77, uname: "someone", gname: "grp" }), body },
    { entry: e({ path: "d/frac", type: "file", size: 3, mtime: T + 0.5, xattrs: { "user.k": new TextEncoder().encode("v=1\n") } }), body: new TextEncoder().encode("abc") },
    { entry: e({ path: "d/" + "x".repeat(130), type: "file", size: 0 }) },
    { entry: e({ path: "p".repeat(120) + "/", type: "dir", mode: 0o755 }) },
    { entry: e({ path: ["p".repeat(120), "q".repeat(120)].join("/") + "/", type: "dir", mode: 0o755 }) },
    { entry: e({ path: long255, type: "file", size: 2 }), body: (async function* () { yield Uint8Array.of(1); yield Uint8Array.of(2); })() },
    { entry: e({ path: "d/ünïcode", type: "file", size: 1 }), body: Uint8Array.of(9) },
    { entry: e({ path: "d/sym", type: "symlink", linkname: "/" + "l".repeat(200), mode: 0o777 }) },
    { entry: e({ path: "d/hard", type: "hardlink", linkname: "d/file" }) },
    { entry: e({ path: "d/fifo", type: "fifo", mode: 0o600 }) },
    { entry: e({ path: "d/null", type: "char", mode: 0o666, devmajor: 1, devminor: 3 }) },
  ];
}

async function bytes(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

test("GNU tar lists what the writer wrote", async () => {
  const tar = await bytes(writeTar(items()));
  writeFileSync(join(tmp, "a.tar"), tar);
  const listed = listTar(join(tmp, "a.tar"));
  const want = items().map((i) => i.entry);
  expect(listed.map((l) => l.path)).toEqual(want.map((e) => e.path));
  for (let i = 0; i < want.length; i++) {
    const e = want[i]!;
    const l = listed[i]!;
    expect({ mode: l.mode, uid: l.uid, gid: l.gid, link: l.link }).toEqual({ mode: modeString(e.mode), uid: e.uid, gid: e.gid, link: e.linkname });
    expect(Math.abs(l.mtime - e.mtime)).toBeLessThan(1e-6);
    if (e.type === "file") expect(l.size).toBe(e.size);
  }
});

test("GNU tar extracts it with the same content and metadata", async () => {
  const out = join(tmp, "x");
  mkdirSync(out);
  writeFileSync(join(tmp, "b.tar"), await bytes(writeTar(items())));
  const r = Bun.spawnSync(["tar", "-xpf", join(tmp, "b.tar"), "-C", out, "--xattrs", "--xattrs-include=*", "--numeric-owner"]);
  expect(r.stderr.toString()).toBe("");
  expect(readFileSync(join(out, "d/file")).equals(Buffer.from(body))).toBe(true);
  const st = lstatSync(join(out, "d/file"));
  expect([st.mode & 0o7777, st.uid, st.gid, st.nlink]).toEqual([0o4755, 3_000_000, 77, 2]);
  expect(lstatSync(join(out, "d")).mode & 0o7777).toBe(0o1777);
  expect(lstatSync(join(out, "d/frac")).mtimeMs).toBeCloseTo((T + 0.5) * 1000, 3);
  expect(new TextDecoder().decode(lgetxattr(join(out, "d/frac"), "user.k"))).toBe("v=1\n");
  expect(readFileSync(join(out, long255))).toEqual(Buffer.from([1, 2]));
  expect(readFileSync(join(out, "d/ünïcode"))).toEqual(Buffer.from([9]));
  expect(readlinkSync(join(out, "d/sym"))).toBe("/" + "l".repeat(200));
  expect(lstatSync(join(out, "d/fifo")).isFIFO()).toBe(true);
  const dev = lstatSync(join(out, "d/null"));
  expect(dev.isCharacterDevice() && dev.rdev).toBe(259); // 1,3
});

test("the walker reads back the same entries and bodies; output is deterministic", async () => {
  const a = await bytes(writeTar(items()));
  const b = await bytes(tarStream(items()) as unknown as AsyncIterable<Uint8Array>);
  expect(a.equals(b)).toBe(true);
  const back: { entry: TarEntry; data: Buffer }[] = [];
  async function* chunks() { for (let i = 0; i < a.length; i += 777) yield a.subarray(i, i + 777); }
  for await (const { entry, body } of readTar(chunks())) back.push({ entry, data: await bytes(body) });
  const want = items();
  expect(back.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const { body: _, entry } = want[i]!;
    const got = back[i]!.entry;
    expect({ ...got, xattrs: got.xattrs && Object.fromEntries(Object.entries(got.xattrs).map(([k, v]) => [k, [...v]])) })
      .toEqual({ ...entry, xattrs: entry.xattrs && Object.fromEntries(Object.entries(entry.xattrs).map(([k, v]) => [k, [...v]])) });
  }
  expect(back[1]!.data.equals(Buffer.from(body))).toBe(true);
});

test("a body that does not match its size is refused", async () => {
  const e: TarEntry = { path: "f", type: "file", mode: 0o644, uid: 0, gid: 0, size: 5, mtime: T };
  await expect(bytes(writeTar([{ entry: e, body: Uint8Array.of(1, 2) }]))).rejects.toThrow(/2 bytes/);
});

test("readTar skips bodies that are not read", async () => {
  const a = await bytes(writeTar(items()));
  const paths: string[] = [];
  for await (const { entry } of readTar([a] as unknown as AsyncIterable<Uint8Array>)) paths.push(entry.path);
  expect(paths).toEqual(items().map((i) => i.entry.path));
});
