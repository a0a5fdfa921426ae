// GrowingFile: a reader follows a file while it is written, ends with the
// writer, and fails with the writer's error.
import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GrowingFile } from "../../src/image/write/growing-file.ts";

const dir = mkdtempSync("/tmp/berth-test-growing-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

test("the reader gets every byte written, in order, as it is written", async () => {
  const path = join(dir, "a");
  writeFileSync(path, "");
  const f = await GrowingFile.open(path);
  const reading = collect(f.read());
  const expected: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    const chunk = Buffer.from(crypto.getRandomValues(new Uint8Array(50_000 + i)));
    appendFileSync(path, chunk);
    expected.push(chunk);
    f.grew(chunk.length);
    if (i % 7 === 0) await Bun.sleep(1);
  }
  f.finish();
  expect((await reading).equals(Buffer.concat(expected))).toBe(true);
});

test("the writer's failure is the reader's, even after the file is gone", async () => {
  const path = join(dir, "b");
  writeFileSync(path, "partial");
  const f = await GrowingFile.open(path);
  const reading = collect(f.read());
  f.grew(7);
  await Bun.sleep(5);
  rmSync(path);
  f.fail(new Error("digest mismatch: the test lied"));
  await expect(reading).rejects.toThrow("digest mismatch: the test lied");
});

test("the file is held from the start: the writer may rename it away before the reader begins", async () => {
  const path = join(dir, "c");
  writeFileSync(path, "");
  const f = await GrowingFile.open(path);
  appendFileSync(path, "all of it");
  f.grew(9);
  f.finish();
  rmSync(path); // as a blob commit renames the temp file into the store
  expect((await collect(f.read())).toString()).toBe("all of it");
  await expect(collect(f.read())).rejects.toThrow("read twice");
});
