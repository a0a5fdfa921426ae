import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BlobStore } from "../../src/store/blobs.ts";
import { openDatabase, migrate } from "../../src/store/db.ts";
import { sha256Of } from "../../src/store/digest.ts";

const root = mkdtempSync("/tmp/berth-test-blobs-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function* chunks(...parts: string[]) {
  for (const p of parts) yield new TextEncoder().encode(p);
}

describe("blob store", () => {
  const blobs = new BlobStore(root);

  test("ingest streams, verifies and stores atomically", async () => {
    const expected = sha256Of("hello world");
    const r = await blobs.ingest(chunks("hello ", "world"), { expected, size: 11 });
    expect(r).toEqual({ digest: expected, size: 11, created: true });
    expect(blobs.has(expected)).toBe(true);
    expect(blobs.stat(expected)).toEqual({ size: 11 });
    expect(new TextDecoder().decode(await blobs.readBytes(expected))).toBe("hello world");
    const again = await blobs.ingest(chunks("hello world"));
    expect(again.created).toBe(false);
    expect(readdirSync(blobs.tmpDir)).toEqual([]);
  });

  test("digest mismatch is refused and nothing stays", async () => {
    const wrong = sha256Of("something else");
    await expect(blobs.ingest(chunks("evil bytes"), { expected: wrong })).rejects.toThrow(
      `digest mismatch: expected ${wrong}, got ${sha256Of("evil bytes")}`,
    );
    expect(blobs.has(sha256Of("evil bytes"))).toBe(false);
    expect(blobs.has(wrong)).toBe(false);
    expect(readdirSync(blobs.tmpDir)).toEqual([]);
  });

  test("a writer whose caller checks the digest stores under the expected name, and still checks the size", async () => {
    const expected = sha256Of("checked upstream");
    const w = await blobs.writer({ expected, size: 16, checkedByCaller: true });
    await w.write(new TextEncoder().encode("checked upstream"));
    expect(await w.commit()).toEqual({ digest: expected, size: 16, created: true });
    expect(new TextDecoder().decode(await blobs.readBytes(expected))).toBe("checked upstream");
    const short = await blobs.writer({ expected: sha256Of("short"), size: 10, checkedByCaller: true });
    await short.write(new TextEncoder().encode("short"));
    await expect(short.commit()).rejects.toThrow("size mismatch");
    expect(blobs.has(sha256Of("short"))).toBe(false);
    expect(readdirSync(blobs.tmpDir)).toEqual([]);
  });

  test("size mismatch is refused", async () => {
    await expect(blobs.ingest(chunks("12345"), { size: 3 })).rejects.toThrow(/size mismatch/);
    await expect(blobs.ingest(chunks("12"), { size: 3 })).rejects.toThrow(/size mismatch/);
    expect(readdirSync(blobs.tmpDir)).toEqual([]);
  });

  test("digests are validated before any path is built", () => {
    for (const bad of ["sha256:../../etc/passwd", "sha256:ABC", "md5:abc", "", "sha256:" + "a".repeat(63)]) {
      expect(() => blobs.path(bad)).toThrow(/invalid digest|unsupported digest algorithm/);
    }
  });

  test("readJson verifies content on read", async () => {
    const doc = { a: 1 };
    const { digest } = await blobs.ingest(new TextEncoder().encode(JSON.stringify(doc)));
    expect(await blobs.readJson(digest)).toEqual(doc);
    writeFileSync(blobs.path(digest), '{"a":2}');
    await expect(blobs.readJson(digest)).rejects.toThrow(/digest mismatch/);
    await blobs.delete(digest);
    expect(blobs.has(digest)).toBe(false);
  });

  test("leftover temp files are removed at open", () => {
    writeFileSync(join(blobs.tmpDir, "ingest-leftover"), "x");
    blobs.cleanTmp();
    expect(readdirSync(blobs.tmpDir)).toEqual([]);
  });
});

describe("database", () => {
  test("migrations run once, in order, each in a transaction", () => {
    const path = join(root, "m.db");
    const order: number[] = [];
    const migs = [
      { version: 1, name: "one", up: (db: any) => { order.push(1); db.exec("CREATE TABLE t1 (x)"); } },
      { version: 2, name: "two", up: (db: any) => { order.push(2); db.exec("CREATE TABLE t2 (x)"); } },
    ];
    const db = openDatabase(path, migs);
    migrate(db, migs);
    expect(order).toEqual([1, 2]);
    const bad = [...migs, { version: 3, name: "bad", up: (db: any) => { db.exec("CREATE TABLE t3 (x)"); throw new Error("boom"); } }];
    expect(() => migrate(db, bad)).toThrow("boom");
    expect(db.query("SELECT name FROM sqlite_master WHERE name = 't3'").get()).toBeNull();
    expect(db.query("SELECT max(version) AS v FROM schema_migrations").get()).toEqual({ v: 2 });
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    db.close();
    expect(() => openDatabase(path, migs.slice(0, 1))).toThrow(/newer than this berth knows/);
  });
});
