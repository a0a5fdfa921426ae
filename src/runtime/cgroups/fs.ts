// Small file helpers for cgroupfs, where every value is one short file.
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errnoCode } from "../../errors.ts";

export const cgroupRoot = "/sys/fs/cgroup";

export function write(path: string, value: string | number): void {
  writeFileSync(path, String(value));
}

export function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export function readNumber(path: string): number {
  const v = (tryRead(path) ?? "").trim();
  return v === "" || v === "max" ? 0 : Number(v) || 0;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events) as numbers. */
export function readKeyed(path: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (tryRead(path) ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

export function readPids(path: string): number[] {
  return (tryRead(join(path, "cgroup.procs")) ?? "").split("\n").filter(Boolean).map(Number);
}

/** Kills every process listed in `dir` until none is left (or ~1 s passed). */
export function killAll(dir: string): void {
  for (let round = 0; round < 100; round++) {
    const pids = readPids(dir);
    if (!pids.length) return;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already: that is what was wanted.
      }
    }
    Bun.sleepSync(10);
  }
}

/** rmdir bottom-up; EBUSY while the last process is still leaving is retried for ~3 s. */
export function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      if (errnoCode(e) === "ENOENT") return;
      if (errnoCode(e) !== "EBUSY" || i >= 300) throw new Error(`cannot remove cgroup ${dir}: ${errnoCode(e) ?? e}`);
      Bun.sleepSync(10);
    }
  }
}
