// `logs -f` across rotations, with the shim's writer and the daemon's reader in
// one process: the reader is made slower than several rotations on purpose.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { LogWriter } from "../../src/runtime/shim/log.ts";
import { readLogs, type LogOptions } from "../../src/daemon/containers/logs.ts";

const dir = mkdtempSync("/tmp/berth-log-follow-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = new TextEncoder();
const follow: LogOptions = { stdout: true, stderr: true, since: 0, until: 0, tail: -1, timestamps: false, details: false, follow: true };

for (const compress of [false, true]) {
  test(`a follower behind by several rotations still gets every line in order${compress ? " (rotated files gzipped)" : ""}`, async () => {
    const path = join(dir, `follow-${compress}.log`);
    const w = new LogWriter(path, { maxSize: 300, maxFiles: 20, compress });
    let running = true;
    const seen: string[] = [];
    const reader = (async () => {
      for await (const r of readLogs(path, follow, () => running)) seen.push(r.log);
    })();
    for (let i = 0; i < 5; i++) w.write("stdout", enc.encode(`early${i}\n`));
    while (seen.length < 5) await Bun.sleep(5);
    // Forty lines at once: many rotations before the reader looks again.
    for (let i = 0; i < 40; i++) w.write("stdout", enc.encode(`burst${i}\n`));
    await Bun.sleep(20);
    for (let i = 0; i < 40; i++) w.write("stderr", enc.encode(`late${i}\n`));
    w.flush();
    running = false;
    await reader;
    const want = [...Array.from({ length: 5 }, (_, i) => `early${i}\n`), ...Array.from({ length: 40 }, (_, i) => `burst${i}\n`), ...Array.from({ length: 40 }, (_, i) => `late${i}\n`)];
    expect(seen).toEqual(want);
  });
}
