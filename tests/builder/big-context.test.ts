// A 2 GiB build context (one sparse file, so the test machine reads no disk
// for it) goes through berth build to a real daemon whose memory is sampled
// while it takes the context in: it must stream, not hold the context.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, ftruncateSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const run = requireDaemon();
let d: TestDaemon;

beforeAll(async () => {
  if (run) d = await startDaemon();
}, 60_000);

afterAll(async () => {
  await d?.stop();
});

/** The daemon's resident memory in KiB, from /proc. */
function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
}

describe.skipIf(!run)("a 2 GiB context", () => {
  test("streams through the daemon with its resident memory growing by less than 128 MiB", async () => {
    const ctx = mkdtempSync(join(d.dir, "ctx-big-"));
    writeFileSync(join(ctx, "Dockerfile"), "FROM scratch\nCOPY small.txt /small.txt\n");
    writeFileSync(join(ctx, "small.txt"), "small\n");
    const fd = openSync(join(ctx, "big.bin"), "w");
    ftruncateSync(fd, 2 * 1024 ** 3);
    closeSync(fd);
    // Let the idle daemon settle, then sample it every 50 ms through the whole build.
    const base = rssKiB(d.pid);
    let peak = base;
    let building = true;
    const sampler = (async () => {
      while (building) {
        peak = Math.max(peak, rssKiB(d.pid));
        await Bun.sleep(50);
      }
    })();
    const r = await d.cli(["build", "-q", "-t", "big:1", ctx], { timeoutMs: 300_000 });
    building = false;
    await sampler;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    const grewMiB = (peak - base) / 1024;
    console.log(`daemon RSS ${Math.round(base / 1024)} MiB idle, +${grewMiB.toFixed(1)} MiB at most while taking the 2 GiB context`);
    expect(grewMiB).toBeLessThan(128);
  }, 320_000);
});
