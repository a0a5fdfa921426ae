// Independent stages build at the same time: two stages that each sleep, and
// a final stage that copies from both, overlap in time (each marks its start
// and end from the host's uptime clock, which containers share) while the
// output stays in stage order, numbered up front. A failing stage stops the
// others: its error is the build's, and no container, mount or scratch
// directory is left behind.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";

const daemon = busyboxDaemonForFile();

/** A RUN that sleeps between two marks of the host's uptime (the test image has no `cut` or `date +%N`). */
const mark = (name: string, seconds: number) =>
  `RUN read t _ < /proc/uptime && echo $t > /${name}.start && sleep ${seconds} && read t _ < /proc/uptime && echo $t > /${name}.end`;

function context(dockerfile: string): string {
  const dir = mkdtempSync(join(daemon.d.dir, "ctx-stages-"));
  writeFileSync(join(dir, "Dockerfile"), dockerfile);
  return dir;
}

/** Step lines' numbers in the order they were printed. */
const stepNumbers = (stdout: string) => [...stdout.matchAll(/^Step (\d+)\/(\d+) : /gm)].map((m) => Number(m[1]));

/** What a daemon's build leaves under its data root's tmp: workspaces, scratch copies, contexts. */
function leftovers(): string[] {
  const tmp = join(daemon.d.dir, "data/tmp");
  return existsSync(tmp) ? readdirSync(tmp).filter((n) => n.startsWith("build")) : [];
}

function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter((p) => p.startsWith(dir));
}

describe.skipIf(!daemon.ok)("stages that do not depend on each other", () => {
  test("build at the same time; the output is in stage order, numbered up front", async () => {
    const { d } = daemon;
    const ctx = context([
      "FROM busybox AS one", mark("one", 2),
      "FROM busybox AS two", mark("two", 2),
      "FROM busybox", "COPY --from=one /one.start /one.end /m/", "COPY --from=two /two.start /two.end /m/", "",
    ].join("\n"));
    const r = await d.cli(["build", "--no-cache", "-t", "stages:par", ctx], { timeoutMs: 120_000 });
    if (r.code !== 0) console.error(r.stdout, r.stderr);
    expect(r.code).toBe(0);
    expect(stepNumbers(r.stdout)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(r.stdout).toMatch(/Step 1\/7 : FROM busybox AS one[\s\S]*Step 3\/7 : FROM busybox AS two[\s\S]*Step 5\/7 : FROM busybox\n/);
    const out = await d.cli(["run", "--rm", "stages:par", "cat", "/m/one.start", "/m/one.end", "/m/two.start", "/m/two.end"]);
    const [oneStart, oneEnd, twoStart, twoEnd] = out.stdout.trim().split("\n").map(Number) as [number, number, number, number];
    expect(oneEnd - oneStart).toBeGreaterThanOrEqual(1.9);
    expect(twoEnd - twoStart).toBeGreaterThanOrEqual(1.9);
    // Overlapping: each started before the other ended; both sleeps within less than 4 s.
    expect(oneStart).toBeLessThan(twoEnd);
    expect(twoStart).toBeLessThan(oneEnd);
    expect(Math.max(oneEnd, twoEnd) - Math.min(oneStart, twoStart)).toBeLessThan(4);
    // The cache gives what a sequential build gives: every step again, the same image.
    const again = await d.cli(["build", "-q", ctx], { timeoutMs: 120_000 });
    expect(again.stdout.trim()).toBe((await d.cli(["image", "inspect", "-f", "{{.Id}}", "stages:par"])).stdout.trim());
  }, 180_000);

  test("a failing stage stops the others and leaves no container, mount or scratch directory", async () => {
    const { d } = daemon;
    const ctx = context([
      "FROM busybox AS slow", mark("slow", 60),
      "FROM busybox AS bad", "RUN sleep 1 && false",
      "FROM busybox", "COPY --from=slow /slow.end /m/", "COPY --from=bad / /m/", "",
    ].join("\n"));
    const started = Date.now();
    const r = await d.cli(["build", "--no-cache", "-t", "stages:bad", ctx], { timeoutMs: 120_000 });
    const seconds = (Date.now() - started) / 1000;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The command '/bin/sh -c sleep 1 && false' returned a non-zero code: 1");
    // Both stages' steps were printed, in order, then the failure.
    expect(r.stdout).toMatch(/Step 1\/7 : FROM busybox AS slow[\s\S]*Step 4\/7 : RUN sleep 1 && false/);
    expect(seconds).toBeLessThan(45);
    expect((await d.cli(["ps", "-aq"])).stdout.trim()).toBe("");
    expect((await d.cli(["image", "inspect", "stages:bad"])).code).not.toBe(0);
    expect(mountsUnder(join(d.dir, "data"))).toEqual([]);
    // The unpacked context goes in the background after the answer; the rest before it.
    for (let i = 0; i < 100 && leftovers().length; i++) await Bun.sleep(100);
    expect(leftovers()).toEqual([]);
  }, 180_000);
});
