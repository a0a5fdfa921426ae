// The shim's record of a container run, written atomically to
// `<container dir>/state.json`; the daemon reads it (also after a restart).
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ShimState {
  /** The supervising shim (its death while "running" means the container is lost). */
  shimPid: number;
  /** Host PID of the program (PID 1 inside the container). */
  pid: number;
  status: "running" | "exited";
  paused?: boolean;
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  oomKilled?: boolean;
  error?: string;
}

export function statePath(dir: string): string {
  return join(dir, "state.json");
}

export function writeState(dir: string, s: ShimState): void {
  writeStateFile(statePath(dir), s);
}

/** Write to a temporary name, then rename: readers see the old or the new record, never half of one. */
export function writeStateFile(path: string, s: ShimState): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(s));
  renameSync(tmp, path);
}

export function readState(dir: string): ShimState | undefined {
  return readStateFile(statePath(dir));
}

export function readStateFile(path: string): ShimState | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

export function nowRfc3339(): string {
  const ns = process.hrtime.bigint() % 1_000_000n;
  const d = new Date();
  return d.toISOString().replace(/\.(\d{3})Z$/, (_m, ms) => `.${ms}${ns.toString().padStart(6, "0")}Z`);
}
