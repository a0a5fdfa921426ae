// The executable starts with JavaScriptCore's JIT reluctant (jitPolicy in scripts/build-options.ts): a CLI
// command runs its code once, and compiling it cost more CPU than it saved. The daemon keeps it
// too: what it runs rarely stays uncompiled (its idle memory), what it serves often is compiled.
// JSC reports each baseline compile on stderr when BUN_JSC_reportBaselineCompileTimes=1, so
// both can be counted.
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { normalJitRoles } from "../../src/jit-policy.ts";

const report = { BUN_JSC_reportBaselineCompileTimes: "1" };
const compiles = (text: string) => text.split("\n").filter((l) => / using Baseline /.test(l)).length;

/** Only the built executable carries the policy; from the sources Bun runs with its own. */
function built(): boolean {
  if (berthCmd.length === 1) return true;
  if (process.env.CI === "true") throw new Error("dist/berth is not built");
  console.warn("skipping: dist/berth is not built");
  return false;
}

let daemon: TestDaemon | undefined;
afterAll(async () => {
  await daemon?.stop();
});

test("a CLI command runs in the interpreter: berth --help compiles (almost) nothing in the JIT", () => {
  if (!built()) return;
  const r = Bun.spawnSync([...berthCmd, "--help"], { env: { ...process.env, ...report }, stdin: "ignore" });
  expect(r.exitCode).toBe(0);
  expect(r.stdout.toString()).toContain("Usage:  berth [OPTIONS] COMMAND");
  // 7 with the normal policy (Bun 1.4.5), 0 with the reluctant one.
  expect(compiles(r.stderr.toString())).toBeLessThan(3);
});

test("the daemon keeps the reluctant policy: its start and a few requests compile little, a request served often is compiled", async () => {
  if (!built() || !requireDaemon()) return;
  daemon = await startDaemon({ env: report, logFile: true });
  for (const args of [["version"], ["ps", "-a"], ["images"], ["info"]]) {
    // The CLI's own compiles go to its stderr, not the daemon's log.
    const r = await daemon.cli(args);
    expect(r.code).toBe(0);
  }
  const log = () => readFileSync(join(daemon!.dir, "daemon.err"), "utf8");
  // 2 with the reluctant policy (Bun 1.4.5), 58 with the normal one.
  const few = compiles(log());
  expect(few).toBeLessThan(15);
  for (let i = 0; i < 300; i++) {
    const r = await fetch("http://localhost/containers/json?all=1", { unix: daemon.socket } as RequestInit);
    await r.text();
  }
  // 182 after 300 of them.
  expect(compiles(log())).toBeGreaterThan(few + 50);
});

test("stage 2 of a container or an exec and a layer's apply keep the reluctant policy; the shim, the PTY relay and cp's archive role do not", () => {
  // Stage 2 gets an empty environment, so its compiles cannot be counted from here: the table is what
  // decides. Interleaved A/B at load ~3: the engine's faults per run --rm 1612 -> 1501, CPU 104 -> 98 ms.
  expect(normalJitRoles).not.toContain("__init");
  expect(normalJitRoles).not.toContain("__exec-enter");
  expect(normalJitRoles).not.toContain("__apply");
  for (const role of ["__shim", "__exec", "__archive"]) expect(normalJitRoles).toContain(role);
});
