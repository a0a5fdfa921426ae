// The data path's reused memory: the decoder that writes every chunk into one
// output buffer gives the bytes node:zlib's stream gives (and its errors); a
// source that reuses its own buffer is applied correctly; an apply process given a
// file still being written reads it itself, by descriptor, never through the
// chunks, and a writer's failure comes back from it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readlinkSync, openSync, closeSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { applyLayer } from "../../src/layer/apply.ts";
import { decompress, decompressReusing } from "../../src/layer/compression.ts";
import { applyLayerInChild } from "../../src/layer/apply-process/in-child.ts";
import { fileSource, followedFileOf, withFollowedFile, type FollowedFile } from "../../src/layer/source.ts";
import { InvalidDataError } from "../../src/errors.ts";
import { describeTree, item, tarBytes } from "../fixtures/tar-layers.ts";

let tmp: string;
beforeAll(() => (tmp = mkdtempSync("/tmp/berth-test-reused-")));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function* chunked(b: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

/** Like chunked(), but every chunk is a view of one buffer that the next overwrites. */
async function* reusing(b: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(size);
  for (let i = 0; i < b.length; i += size) {
    const n = Math.min(size, b.length - i);
    buf.set(b.subarray(i, i + n));
    yield buf.subarray(0, n);
  }
}

/** 3 MiB that compress well, with a varied tail. */
const plain = Buffer.concat([Buffer.from("berth layer ".repeat(262_144)), crypto.getRandomValues(new Uint8Array(65_536))]);

async function copies(source: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; buffers: Set<ArrayBufferLike>; chunks: number }> {
  const parts: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  for await (const c of source) {
    parts.push(Buffer.from(c)); // a copy: the next chunk overwrites this one
    buffers.add(c.buffer);
  }
  return { bytes: Buffer.concat(parts), buffers, chunks: parts.length };
}

describe("decompressReusing", () => {
  for (const [kind, blob] of [["gzip", gzipSync(plain)], ["zstd", zstdCompressSync(plain)]] as const) {
    test(`${kind}: node:zlib's bytes, every chunk in the same buffer`, async () => {
      const got = await copies(decompressReusing(chunked(blob, 7_001), kind));
      const want = await copies(decompress(chunked(blob, 7_001), kind));
      expect(got.bytes.equals(want.bytes)).toBe(true);
      expect(got.bytes.equals(plain)).toBe(true);
      expect(got.chunks).toBeGreaterThan(2);
      expect(got.buffers.size).toBe(1);
    });
  }

  test("gzip members one after another are read through; bytes after the stream are not decoded", async () => {
    const two = Buffer.concat([gzipSync(plain.subarray(0, 1000)), gzipSync(plain.subarray(1000, 5000))]);
    expect((await copies(decompressReusing(chunked(two, 333), "gzip"))).bytes.equals(plain.subarray(0, 5000))).toBe(true);
    const trailing = Buffer.concat([gzipSync(plain.subarray(0, 1000)), Buffer.alloc(700)]);
    expect((await copies(decompressReusing(chunked(trailing, 333), "gzip"))).bytes.equals(plain.subarray(0, 1000))).toBe(true);
  });

  test("truncated or corrupt gzip is an InvalidDataError", async () => {
    const blob = gzipSync(plain);
    const truncated = copies(decompressReusing(chunked(blob.subarray(0, blob.length - 20), 4096), "gzip"));
    await expect(truncated).rejects.toThrow(InvalidDataError);
    const bad = Buffer.from(blob);
    bad.fill(0x55, 100, 200);
    await expect(copies(decompressReusing(chunked(bad, 4096), "gzip"))).rejects.toThrow(InvalidDataError);
  });
});

/** 2 MB that do not compress, so the gzip blob comes in many pieces. */
const noise = Buffer.from(crypto.getRandomValues(new Uint8Array(1_500_000))).toString("base64");

async function layerTar(): Promise<Uint8Array> {
  return tarBytes([
    item("etc", "dir"),
    item("etc/hello", "file", { content: "hello\n", mode: 0o640, uid: 1000, gid: 1000 }),
    item("etc/big", "file", { content: noise }),
    item("etc/link", "symlink", { linkname: "hello" }),
    item("bin", "dir", { mode: 0o700 }),
    item("bin/tool", "file", { content: "#!/bin/sh\n", mode: 0o755 }),
  ]);
}

test("a source that reuses its buffer, in chunks of 1 to 5 bytes first, applies as fresh chunks do", async () => {
  for (const [name, blob] of [["gzip", gzipSync(await layerTar())], ["plain", await layerTar()]] as const) {
    const want = await applyLayer(chunked(blob, 65_536), join(tmp, `fresh-${name}`));
    async function* tiny(): AsyncGenerator<Uint8Array> {
      const buf = new Uint8Array(65_536);
      let i = 0;
      for (const n of [1, 2, 3, 5]) {
        buf.set(blob.subarray(i, i + n));
        yield buf.subarray(0, n);
        i += n;
      }
      yield* reusing(blob.subarray(i), 65_536);
    }
    const got = await applyLayer(tiny(), join(tmp, `reused-${name}`));
    expect(got).toEqual(want);
    expect(describeTree(join(tmp, `reused-${name}`))).toEqual(describeTree(join(tmp, `fresh-${name}`)));
  }
});

describe("an apply process following a file being written", () => {
  /** The file `path` written in pieces, told through lengths(); the chunk side throws if anyone reads it. */
  function follow(path: string, blob: Uint8Array, failAt?: number): { source: AsyncGenerator<Uint8Array>; closed: () => boolean } {
    writeFileSync(path, "");
    const fd = openSync(path, "r");
    let closed = false;
    const file: FollowedFile = {
      fd,
      async *lengths() {
        for (let at = 0; at < blob.length; ) {
          const n = Math.min(50_000, blob.length - at);
          appendFileSync(path, blob.subarray(at, at + n));
          at += n;
          if (failAt !== undefined && at >= failAt) throw new Error("the download failed: test");
          yield at;
          await Bun.sleep(1);
        }
      },
      async close() {
        closed = true;
        closeSync(fd);
      },
    };
    async function* chunks(): AsyncGenerator<Uint8Array> {
      throw new Error("the chunks were read: the apply process should have read the file");
    }
    return { source: withFollowedFile(chunks(), file), closed: () => closed };
  }

  test("reads it by descriptor: same result as the in-thread applier, and the descriptor is given back", async () => {
    const blob = gzipSync(await layerTar());
    const want = await applyLayer(chunked(blob, 65_536), join(tmp, "want"));
    const f = follow(join(tmp, "blob-ok"), blob);
    const got = await applyLayerInChild(f.source, join(tmp, "followed"));
    expect(got).toEqual({ ...want, engine: got.engine });
    expect(describeTree(join(tmp, "followed"))).toEqual(describeTree(join(tmp, "want")));
    expect(f.closed()).toBe(true);
  });

  test("the in-thread applier reads it by descriptor too", async () => {
    const blob = gzipSync(await layerTar());
    const want = await applyLayer(chunked(blob, 65_536), join(tmp, "want-here"));
    const f = follow(join(tmp, "blob-here"), blob);
    expect(await applyLayer(f.source, join(tmp, "followed-here"))).toEqual(want);
    expect(describeTree(join(tmp, "followed-here"))).toEqual(describeTree(join(tmp, "want-here")));
    expect(f.closed()).toBe(true);
  });

  test("the writer's failure is the applier's, after the apply process has stopped reading", async () => {
    const blob = gzipSync(await layerTar());
    const f = follow(join(tmp, "blob-fail"), blob, 100_000);
    await expect(applyLayerInChild(f.source, join(tmp, "failed"))).rejects.toThrow("the download failed: test");
    expect(f.closed()).toBe(true);
  });
});

describe("fileSource", () => {
  /** Whether `fd` no longer names `path` (a number given back may be taken again by another open). */
  const released = (fd: number, path: string) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) !== path;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "ENOENT";
    }
  };

  test("read as chunks: the file's bytes in fresh buffers, then the descriptor is closed", async () => {
    const path = join(tmp, "whole.bin");
    const bytes = Buffer.concat([Buffer.from(noise), Buffer.from(noise)]); // more than one read
    writeFileSync(path, bytes);
    const source = fileSource(path);
    const fd = followedFileOf(source)!.fd;
    expect(released(fd, path)).toBe(false);
    const got = await copies(source);
    expect(got.bytes.equals(bytes)).toBe(true);
    expect(got.buffers.size).toBe(got.chunks);
    expect(got.chunks).toBeGreaterThan(1);
    expect(released(fd, path)).toBe(true);
  });

  for (const where of ["in this thread", "in an apply process"] as const) {
    test(`applied ${where}: read by descriptor, same result as its chunks, the descriptor given back`, async () => {
      const path = join(tmp, `layer-${where.length}.tar.gz`);
      const blob = gzipSync(await layerTar());
      writeFileSync(path, blob);
      const want = await applyLayer(chunked(blob, 65_536), join(tmp, `want-file-${where.length}`));
      const source = fileSource(path);
      const fd = followedFileOf(source)!.fd;
    expect(released(fd, path)).toBe(false);
      const target = join(tmp, `file-${where.length}`);
      const got = where === "in an apply process" ? await applyLayerInChild(source, target) : await applyLayer(source, target);
      expect(got).toEqual({ ...want, engine: got.engine });
      expect(describeTree(target)).toEqual(describeTree(join(tmp, `want-file-${where.length}`)));
      expect(released(fd, path)).toBe(true);
    });
  }
});
