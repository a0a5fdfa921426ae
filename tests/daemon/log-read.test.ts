// Reading json-file logs in bounded chunks: forward for `logs`, backward for
// `logs --tail`, across rotated (plain and gzipped) files, with lines longer
// than a chunk and a last line still being written.
import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { LogWriter } from "../../src/runtime/shim/log.ts";
import { readLogs, type LogOptions } from "../../src/daemon/containers/logs.ts";

const dir = mkdtempSync("/tmp/berth-log-read-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = new TextEncoder();
const all: LogOptions = { stdout: true, stderr: true, since: 0, until: 0, tail: -1, timestamps: false, details: false, follow: false };

async function read(path: string, o: Partial<LogOptions> = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readLogs(path, { ...all, ...o }, () => false)) out.push(r.log);
  return out;
}

/** What the files hold, oldest first, read whole (the reference). */
function whole(path: string): string[] {
  const names: string[] = [];
  for (let i = 1; ; i++) {
    const n = [`${path}.${i}`, `${path}.${i}.gz`].find((x) => existsSync(x));
    if (!n) break;
    names.unshift(n);
  }
  names.push(path);
  return names.flatMap((n) => {
    const text = n.endsWith(".gz") ? Buffer.from(Bun.gunzipSync(readFileSync(n))).toString() : readFileSync(n, "utf8");
    return text.split("\n").filter(Boolean).map((l) => JSON.parse(l).log as string);
  });
}

for (const compress of [false, true]) {
  test(`several MiB over rotated files${compress ? " (gzipped)" : ""}: all of it in order, and any tail, read in chunks`, async () => {
    const path = join(dir, `big-${compress}.log`);
    const w = new LogWriter(path, { maxSize: 3_000_000, maxFiles: 3, compress });
    const long = "y".repeat(1_500_000); // longer than a read chunk
    for (let i = 0; i < 60_000; i++) {
      w.write(i % 3 ? "stdout" : "stderr", enc.encode(`line ${i} ${"x".repeat(i % 97)}\n`));
      if (i === 30_000) w.write("stdout", enc.encode(`${long}\n`));
    }
    w.flush();
    const want = whole(path);
    expect(want.length).toBeGreaterThan(20_000);
    expect(await read(path)).toEqual(want);
    for (const n of [0, 1, 7, 5000, want.length - 3, want.length + 10]) {
      expect(await read(path, { tail: n })).toEqual(n === 0 ? [] : want.slice(-n));
    }
    // The tail counts the records the stream filter keeps.
    expect(await read(path, { tail: 10, stderr: false })).toEqual((await read(path, { stderr: false })).slice(-10));
  });
}

test("a last line still being written is left for later; a line longer than a chunk reads whole", async () => {
  const path = join(dir, "partial.log");
  const rec = (log: string) => JSON.stringify({ log, stream: "stdout", time: "2026-12-02T00:00:00.000000000Z" }) + "\n";
  const huge = "z".repeat(2_500_000) + "\n";
  appendFileSync(path, rec("one\n") + rec(huge) + rec("three\n"));
  appendFileSync(path, rec("four\n").slice(0, 20)); // cut mid-record
  expect(await read(path)).toEqual(["one\n", huge, "three\n"]);
  expect(await read(path, { tail: 2 })).toEqual([huge, "three\n"]);
  expect(await read(path, { tail: 9 })).toEqual(["one\n", huge, "three\n"]);
});
