// SHA-256 on a second core: the hash thread gives the digests Bun.CryptoHasher
// gives, for chunks of any size (empty, one byte, several ring slots) and for
// several hashes fed in turn; a layer applied with it has the same tree,
// diffID and digest as one applied without, in this process and in an apply process
// (where only a big blob is hashed there by default), and a failed apply
// leaves the thread working for the next.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { applyLayer, HASH_THREAD_MIN } from "../../src/layer/apply.ts";
import { applyLayerInChild } from "../../src/layer/apply-process/in-child.ts";
import { fileSource } from "../../src/layer/source.ts";
import { hashThread, ThreadedSha256 } from "../../src/layer/hash/threaded.ts";
import { SLOT_SIZE } from "../../src/layer/hash/ring.ts";
import { InvalidDataError } from "../../src/errors.ts";
import { describeTree, item, tarBytes } from "../fixtures/tar-layers.ts";

let tmp: string;
beforeAll(() => (tmp = mkdtempSync("/tmp/berth-test-hash-thread-")));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (b: Uint8Array) => new Bun.CryptoHasher("sha256").update(b).digest("hex");

/** Bytes that are not all alike, so a slot copied short or twice changes the digest. */
function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) b[i] = x = (x * 1103515245 + 12345) >>> 16;
  return b;
}

async function thread() {
  const t = await hashThread();
  if (!t) throw new Error("no hash thread could be started");
  return t;
}

describe("ThreadedSha256", () => {
  test("the digest of chunks of every size, two hashes fed in turn", async () => {
    const t = await thread();
    const sizes = [0, 1, 511, SLOT_SIZE - 1, SLOT_SIZE, SLOT_SIZE + 1, 3 * SLOT_SIZE + 17, 4096, 0, 9 * SLOT_SIZE];
    const a = new ThreadedSha256(t);
    const b = new ThreadedSha256(t);
    const fedA: Uint8Array[] = [];
    const fedB: Uint8Array[] = [];
    sizes.forEach((n, i) => {
      const x = bytes(n, i + 1);
      a.update(x);
      fedA.push(x);
      const y = bytes(n >> 1, i + 100);
      b.update(y);
      fedB.push(y);
    });
    expect(a.digestHex()).toBe(sha(Buffer.concat(fedA)));
    expect(b.digestHex()).toBe(sha(Buffer.concat(fedB)));
    const empty = new ThreadedSha256(t);
    expect(empty.digestHex()).toBe(sha(new Uint8Array(0)));
  });

  test("a chunk overwritten right after update() is hashed as it was given", async () => {
    const t = await thread();
    const h = new ThreadedSha256(t);
    const buf = bytes(200_000, 7);
    const want = sha(Buffer.concat([buf, buf.map((v) => v ^ 0xff)]));
    h.update(buf);
    for (let i = 0; i < buf.length; i++) buf[i]! ^= 0xff;
    h.update(buf);
    expect(h.digestHex()).toBe(want);
  });
});

const noise = Buffer.from(bytes(3_000_000, 42)).toString("base64");

function layerTar(): Promise<Uint8Array> {
  return tarBytes([
    item("etc", "dir"),
    item("etc/hello", "file", { content: "hello\n", mode: 0o640, uid: 1000, gid: 1000 }),
    item("etc/big", "file", { content: noise }),
    item("etc/link", "symlink", { linkname: "hello" }),
    item("etc/hard", "hardlink", { linkname: "etc/big" }),
    item("bin", "dir", { mode: 0o700 }),
    item("bin/tool", "file", { content: "#!/bin/sh\n", mode: 0o755 }),
    item("bin/.wh.gone", "file"),
  ]);
}

async function* chunked(b: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

describe("applyLayer with hashThread", () => {
  let tar: Uint8Array;
  beforeAll(async () => void (tar = await layerTar()));
  const blobOf = { plain: (t: Uint8Array) => t, gzip: gzipSync, zstd: zstdCompressSync };
  for (const kind of ["plain", "gzip", "zstd"] as const) {
    test(`${kind}: same tree, diffID and digest as hashing in this thread`, async () => {
      await thread();
      const blob = blobOf[kind](tar);
      const want = await applyLayer(chunked(blob, 300_000), join(tmp, `here-${kind}`));
      const got = await applyLayer(chunked(blob, 300_000), join(tmp, `thread-${kind}`), { hashThread: true });
      expect(got).toEqual({ ...want, hashThread: true });
      expect(got.digest).toBe(`sha256:${sha(blob)}`);
      expect(describeTree(join(tmp, `thread-${kind}`))).toEqual(describeTree(join(tmp, `here-${kind}`)));
    });
  }

  test("a corrupt layer fails as before, and the next apply on the same thread is right", async () => {
    const t = await thread();
    const bad = Buffer.from(gzipSync(tar));
    bad.fill(0x55, 200, 400);
    await expect(applyLayer(chunked(bad, 65_536), join(tmp, "bad"), { hashThread: true })).rejects.toThrow(InvalidDataError);
    expect(await hashThread()).toBe(t);
    const got = await applyLayer(chunked(tar, 65_536), join(tmp, "after-bad"), { hashThread: true });
    expect(got.diffID).toBe(`sha256:${sha(tar)}`);
    expect(got.hashThread).toBe(true);
  });

  test("by default only a big blob (its size given, or a file's) is hashed there, in this process or an apply process", async () => {
    await thread();
    const blob = gzipSync(tar);
    expect((await applyLayer(chunked(blob, 65_536), join(tmp, "small"))).hashThread).toBeUndefined();
    const told = await applyLayer(chunked(blob, 65_536), join(tmp, "told-big"), { blobSize: HASH_THREAD_MIN });
    expect(told.hashThread).toBe(true);
    // A file source of that size: the blob, then bytes after the gzip stream (read and hashed, not decoded).
    const path = join(tmp, "big.tar.gz");
    writeFileSync(path, Buffer.concat([blob, Buffer.alloc(HASH_THREAD_MIN)]));
    const inWorker = await applyLayerInChild(fileSource(path), join(tmp, "file-big"));
    expect(inWorker.hashThread).toBe(true);
    expect(inWorker.diffID).toBe(`sha256:${sha(tar)}`);
    expect(inWorker.digest).toBe(`sha256:${sha(readFileSync(path))}`);
    expect(describeTree(join(tmp, "file-big"))).toEqual(describeTree(join(tmp, "small")));
  });
});
