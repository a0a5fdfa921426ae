// berth build's progress as people see it: on a terminal (a real pty through
// util-linux's script) one line per step with its state and time, the running
// step's output under it, and a summary; the classic builder's plain text
// with --progress=plain or when stdout is not a terminal; only the ID with -q.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, busyboxDaemonForFile } from "../fixtures/daemon.ts";

const env = busyboxDaemonForFile();
const hasScript = !!Bun.which("script");

/** `berth build ARGS` with its stdout and stderr on a pseudo-terminal; what the terminal got, without CRs. */
async function onTerminal(args: string[]): Promise<{ code: number; text: string }> {
  const cmd = [...berthCmd, "-H", env.d.host, "build", ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const p = Bun.spawn(["script", "-qefc", `stty cols 100; exec ${cmd}`, "/dev/null"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill(9), 90_000);
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  clearTimeout(timer);
  return { code, text: out.replace(/\r/g, "") };
}

function context(dockerfile: string): string {
  const dir = mkdtempSync(join(env.d.dir, "progress-"));
  writeFileSync(join(dir, "Dockerfile"), dockerfile);
  writeFileSync(join(dir, "a.txt"), "a\n");
  return dir;
}

describe.skipIf(!env.ok)("build progress", () => {
  test("a terminal gets a line per step with its state and time, the running step's output, and a summary", async () => {
    if (!hasScript) throw new Error("util-linux's script is needed to give berth build a terminal");
    const ctx = context('FROM busybox\nRUN echo line-one && echo line-two\nCOPY a.txt /a.txt\nCMD ["sh"]\n');
    const first = await onTerminal(["-t", "progress:1", ctx]);
    expect(first.code).toBe(0);
    expect(first.text).toContain("\x1b[2K"); // lines redrawn in place
    expect(first.text).toMatch(/\[1\/4\] FROM busybox +DONE \d+\.\ds/);
    expect(first.text).toMatch(/\[2\/4\] RUN echo line-one && echo line-two +DONE \d+\.\ds/);
    expect(first.text).toContain(" > line-two");
    expect(first.text).toMatch(/Built in \d+\.\ds: 4 steps, 0 cached\nSuccessfully built [0-9a-f]{12}\nSuccessfully tagged progress:1\n/);
    expect(first.text).not.toContain("Step 1/4 :");

    const again = await onTerminal(["-t", "progress:1", ctx]);
    expect(again.code).toBe(0);
    expect(again.text).toMatch(/\[2\/4\] RUN echo line-one && echo line-two +CACHED/);
    expect(again.text).toMatch(/\[3\/4\] COPY a\.txt \/a\.txt +CACHED/);
    expect(again.text).toMatch(/Built in \d+\.\ds: 4 steps, 3 cached\n/);
  }, 180_000);

  test("a stage built beside an earlier one shows how long its steps took, though its text arrives after that stage's", async () => {
    if (!hasScript) throw new Error("util-linux's script is needed to give berth build a terminal");
    const token = crypto.randomUUID(); // no cached step from an earlier run
    const ctx = context(`FROM busybox AS a\nRUN sleep 2 && echo a-${token} > /a\nFROM busybox AS b\nRUN sleep 2 && echo b-${token} > /b\nFROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n`);
    const r = await onTerminal([ctx]);
    expect(r.code).toBe(0);
    const took = (step: string) => {
      const all = [...r.text.matchAll(new RegExp(`\\[${step}\\] RUN sleep 2 [^\\n]* +DONE (\\d+\\.\\d)s`, "g"))];
      expect(all.length).toBeGreaterThan(0);
      return Number(all.at(-1)![1]);
    };
    // Both sleeps ran at once, and each step shows its own 2 s, not the instant its held text was drawn.
    expect(took("2/7")).toBeGreaterThanOrEqual(1.9);
    expect(took("4/7")).toBeGreaterThanOrEqual(1.9);
    const total = Number(/Built in (\d+\.\d)s: 7 steps/.exec(r.text)?.[1]);
    expect(total).toBeLessThan(took("2/7") + took("4/7"));
  }, 120_000);

  test("a failing step is marked with its output, and the error follows", async () => {
    if (!hasScript) throw new Error("util-linux's script is needed to give berth build a terminal");
    const r = await onTerminal([context("FROM busybox\nRUN echo about-to-fail && false\n")]);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/\[2\/2\] RUN echo about-to-fail && false +FAILED \d+\.\ds\n(\x1b\[2K)? > about-to-fail\n/);
    expect(r.text).toContain("Build failed after");
    expect(r.text).toContain("The command '/bin/sh -c echo about-to-fail && false' returned a non-zero code: 1");
  }, 120_000);

  test("--progress=plain on a terminal, and any build whose stdout is not one, print the classic builder's text; -q only the ID", async () => {
    if (!hasScript) throw new Error("util-linux's script is needed to give berth build a terminal");
    const ctx = context('FROM busybox\nCOPY a.txt /a.txt\n');
    const plain = await onTerminal(["--progress=plain", ctx]);
    expect(plain.code).toBe(0);
    expect(plain.text).toContain("Step 1/2 : FROM busybox\n");
    expect(plain.text).toContain("Step 2/2 : COPY a.txt /a.txt\n");
    expect(plain.text).not.toContain("\x1b[");
    const piped = await env.d.cli(["build", ctx]);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toContain("Step 2/2 : COPY a.txt /a.txt\n");
    expect(piped.stdout).not.toContain("\x1b[");
    const quiet = await onTerminal(["-q", ctx]);
    expect(quiet.code).toBe(0);
    expect(quiet.text.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
  }, 120_000);
});
