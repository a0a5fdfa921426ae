// The daemon's idle collection (src/server/idle-collect.ts): once after a
// spell of work, when the CPU time shows the process has gone quiet, and not
// again while it stays quiet.
import { expect, test } from "bun:test";
import { collectAndShrink, collectWhenIdle } from "../../src/server/idle-collect.ts";

function busy(ms: number): void {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  if (x < 0) console.log(x); // keeps the loop from being optimized away
}

test("collects once when work stops, not while working nor while idle", async () => {
  let collections = 0;
  const stop = collectWhenIdle(() => collections++, 100);
  try {
    await Bun.sleep(350); // idle from the start: nothing to give back
    expect(collections).toBe(0);
    // Work across several samples: no collection while each sample shows work.
    for (let i = 0; i < 5; i++) {
      busy(90);
      await Bun.sleep(10);
    }
    expect(collections).toBe(0);
    await Bun.sleep(350); // the first quiet sample collects
    expect(collections).toBe(1);
    await Bun.sleep(400); // still quiet: no second one
    expect(collections).toBe(1);
    busy(150);
    await Bun.sleep(350);
    expect(collections).toBe(2);
  } finally {
    stop();
  }
});

test("the default collection gives the garbage's pages back to the kernel", () => {
  const rssMb = () => process.memoryUsage.rss() / 2 ** 20;
  let garbage: Uint8Array[] | undefined = Array.from({ length: 2048 }, () => new Uint8Array(32 << 10).fill(1)); // 64 MiB in small buffers
  const before = rssMb();
  expect(garbage.length).toBe(2048);
  garbage = undefined;
  collectAndShrink();
  expect(rssMb()).toBeLessThan(before - 32);
});
