// The benchmarks' memory accounting (scripts/bench/_memory.ts): a process's USS and PSS from
// smaps_rollup, and how many other processes share its executable (whose code pages are then
// not its own: an idle figure says how many there were).
import { expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { privateSplit, processMemory, sameExecutable } from "../../scripts/bench/_memory.ts";

test("processes of one executable count each other; one gone, the count falls", async () => {
  // A copy of sleep that nothing else on the host runs.
  const dir = mkdtempSync("/tmp/berth-test-memory-");
  const exe = join(dir, "sleeper");
  copyFileSync(Bun.which("sleep")!, exe);
  const a = Bun.spawn([exe, "30"]);
  const b = Bun.spawn([exe, "30"]);
  try {
    expect(sameExecutable(a.pid)).toBe(1);
    b.kill(9);
    await b.exited;
    expect(sameExecutable(a.pid)).toBe(0);
    const m = processMemory(a.pid)!;
    expect(m.ussKb).toBeGreaterThan(0);
    expect(m.pssKb).toBeGreaterThanOrEqual(m.ussKb);
  } finally {
    a.kill(9);
    b.kill(9);
    rmSync(dir, { recursive: true, force: true });
  }
  expect(sameExecutable(4194303)).toBe(0); // no such process
});

test("a process's private pages split into anonymous memory, its executable's code and data, and the rest, summing to its USS", async () => {
  // A copy of sleep that nothing else maps: its code pages are its own, so they count.
  const dir = mkdtempSync("/tmp/berth-test-memory-");
  const exe = join(dir, "sleeper");
  copyFileSync(Bun.which("sleep")!, exe);
  const a = Bun.spawn([exe, "30"]);
  try {
    await Bun.sleep(200); // past the exec
    const split = privateSplit(a.pid)!;
    const uss = processMemory(a.pid)!.ussKb;
    expect(split.textKb).toBeGreaterThan(0);
    expect(split.anonKb).toBeGreaterThan(0);
    expect(Math.abs(split.anonKb + split.textKb + split.dataKb + split.otherKb - uss)).toBeLessThanOrEqual(8);
  } finally {
    a.kill(9);
    await a.exited;
    rmSync(dir, { recursive: true, force: true });
  }
  expect(privateSplit(4194303)).toBeUndefined(); // no such process
});
