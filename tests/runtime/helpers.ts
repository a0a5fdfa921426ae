// Runs containers from the busybox rootfs fixture (one overlay lower dir)
// through the runtime's door (the daemon's Runtime), with berth run from source.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { busyboxMissing, makeBusyboxRootfs } from "../fixtures/rootfs-busybox.ts";
import { containerSpec, Runtime, type RuntimeSpec } from "../../src/runtime/index.ts";
import { overlaySupported } from "../../src/runtime/driver/overlay-check.ts";
import { readState, type ShimState } from "../../src/runtime/shim/state.ts";

const repo = new URL("../..", import.meta.url).pathname;
/** berth from source (BERTH_TEST_BIN=dist/berth tests the compiled executable instead). */
export const berthCommand = process.env.BERTH_TEST_BIN ? [process.env.BERTH_TEST_BIN] : [process.execPath, join(repo, "src/main.ts")];

/** Why these tests cannot run here (then they fail under CI=true), or undefined. */
export function cannotRun(): string | undefined {
  if (process.getuid?.() !== 0) return "runtime tests need root";
  const bb = busyboxMissing();
  if (bb) return bb;
  if (!overlaySupported("/tmp")) return "overlayfs is not available";
  return undefined;
}

export function skipUnlessRunnable(): boolean {
  const why = cannotRun();
  if (!why) return true;
  if (process.env.CI === "true") throw new Error(why);
  console.warn(`skipping runtime tests: ${why}`);
  return false;
}

export class Fixture {
  readonly base = mkdtempSync("/tmp/berth-test-runtime-");
  readonly layer = makeBusyboxRootfs(join(this.base, "layer"));
  readonly execRoot = join(this.base, "exec");
  readonly runtime = new Runtime(this.execRoot, this.base, { command: berthCommand });
  private n = 0;

  /** A container directory with upper/work dirs and a spec (not yet started). */
  container(args: string[], extra: Partial<RuntimeSpec> = {}): { dir: string; spec: RuntimeSpec } {
    const id = `${process.pid.toString(16)}${(++this.n).toString(16).padStart(4, "0")}${Math.random().toString(16).slice(2, 10)}`;
    const dir = join(this.base, id);
    for (const d of ["upper", "work"]) mkdirSync(join(dir, d), { recursive: true });
    const spec = containerSpec(dir, { id, args, lowerDirs: [this.layer], upperDir: join(dir, "upper"), workDir: join(dir, "work"), ...extra });
    return { dir, spec };
  }

  /** Runs to completion: the final state and the stdout/stderr text from the json-file log. */
  async run(args: string[], extra: Partial<RuntimeSpec> = {}): Promise<{ state: ShimState; stdout: string; stderr: string; dir: string; spec: RuntimeSpec }> {
    const { dir, spec } = this.container(args, extra);
    await this.runtime.start(dir, spec);
    await this.runtime.waitExit(dir);
    const state = readState(dir)!;
    const { stdout, stderr } = readLog(spec.logPath);
    return { state, stdout, stderr, dir, spec };
  }

  cleanup(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

export function readLog(path: string): { stdout: string; stderr: string; records: { log: string; stream: string; time: string }[] } {
  const records = existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
  const text = (s: string) => records.filter((r) => r.stream === s).map((r) => r.log).join("");
  return { stdout: text("stdout"), stderr: text("stderr"), records };
}

/** Host mount points under `prefix` (leftover checks). */
export function hostMountsUnder(prefix: string): string[] {
  return readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(prefix));
}

export async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(5);
  }
}
