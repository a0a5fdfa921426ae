// The benchmarks' fault and CPU accounting (scripts/bench/_usage.ts) counts
// what a process tree did: a child that touched memory and was waited for
// shows in its parent's figures, a live descendant in the tree's.
import { describe, expect, test } from "bun:test";
import { minus, treeUsage, waitedChildren } from "../../scripts/bench/_usage.ts";

// Touches 32 MiB page by page, spins ~100 ms of CPU, prints its own fault count, then waits for stdin to close.
const TOUCHER = `
const b = new Uint8Array(32 << 20);
for (let i = 0; i < b.length; i += 4096) b[i] = 1;
const until = performance.now() + 100; while (performance.now() < until);
console.log(process.resourceUsage().minorPageFault);
if (process.argv.includes("stay")) for await (const _ of Bun.stdin.stream());
`;

async function firstLine(p: { stdout: ReadableStream<Uint8Array> }): Promise<number> {
  const reader = p.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return Number(text.trim());
}

describe("process tree usage", () => {
  test("a child waited for shows in this process's waited children", async () => {
    const before = waitedChildren();
    const p = Bun.spawn([process.execPath, "-e", TOUCHER], { stdout: "pipe" });
    const own = await firstLine(p);
    expect(await p.exited).toBe(0);
    const d = minus(waitedChildren(), before);
    expect(own).toBeGreaterThan(8192 / 4); // 32 MiB is 8,192 pages; huge pages may serve some
    expect(d.faults).toBeGreaterThanOrEqual(own);
    expect(d.cpuMs).toBeGreaterThanOrEqual(50);
  });

  test("a live grandchild and a reaped one both count in the tree of their root", async () => {
    // sh, once told to go, runs one toucher to its end (reaped: in sh's cminflt), then one that stays (live: its own minflt).
    const sh = Bun.spawn(["sh", "-c", `read go; "$0" -e "$1"; "$0" -e "$1" stay`, process.execPath, TOUCHER], { stdin: "pipe", stdout: "pipe" });
    try {
      const before = treeUsage([sh.pid]);
      sh.stdin.write("go\n");
      sh.stdin.flush();
      const reader = sh.stdout.getReader();
      let text = "";
      const until = Date.now() + 60_000;
      while (text.trim().split("\n").length < 2 && Date.now() < until) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      const [first, second] = text.trim().split("\n").map(Number);
      expect(first).toBeGreaterThan(2048);
      expect(second).toBeGreaterThan(2048);
      const d = minus(treeUsage([sh.pid]), before);
      // Both started after `before`; sh's own faults add to them.
      expect(d.faults).toBeGreaterThanOrEqual(first! + second!);
      expect(d.cpuMs).toBeGreaterThanOrEqual(100);
    } finally {
      sh.stdin.end();
      await sh.exited;
    }
  });
});
