// Kernel settings stage 2 applies in the container's namespaces: sysctls
// (written once the container's /proc is mounted, before /proc/sys turns
// read-only), and the program's resource limits and OOM score adjustment
// (while still privileged: raising a hard limit or lowering the score takes
// CAP_SYS_RESOURCE). An exec's stage 2 applies the last two as well, as runc
// gives an exec the container's process settings.
import { writeFileSync } from "node:fs";
import * as c from "../libc.ts";
import type { RuntimeSpec } from "../spec.ts";
import { StartError } from "../start-error.ts";

export function applySysctls(sysctls: Record<string, string> | undefined): void {
  for (const [key, value] of Object.entries(sysctls ?? {})) {
    // The daemon admitted only namespaced keys; a dot-free, slash-free shape keeps the path under /proc/sys.
    if (!/^[A-Za-z0-9_.-]+$/.test(key) || key.includes("..")) throw new StartError(`invalid sysctl ${JSON.stringify(key)}`, 125);
    try {
      writeFileSync(`/proc/sys/${key.replace(/\./g, "/")}`, value);
    } catch (e) {
      throw new StartError(`write sysctl key ${key}: ${(e as Error).message}`, 125);
    }
  }
}

/** Always written: unset is Docker's default 0, not the lowered score a shim passes down (oom-score.ts). */
export function applyOomScoreAdj(adj: number | undefined, pid: number | "self" = "self"): void {
  adj ??= 0;
  try {
    writeFileSync(`/proc/${pid}/oom_score_adj`, String(adj));
  } catch (e) {
    // Below the engine's own value takes CAP_SYS_RESOURCE, which some hosts withhold from it.
    const why = (e as NodeJS.ErrnoException).code === "EACCES" ? "permission denied" : (e as Error).message;
    throw new StartError(`write /proc/self/oom_score_adj: ${why}`, 125);
  }
}

export function applyRlimits(rlimits: RuntimeSpec["rlimits"] | undefined): void {
  for (const l of rlimits ?? []) {
    const n = c.RLIMIT[l.type.replace(/^RLIMIT_/i, "").toLowerCase()];
    if (n !== undefined) c.setrlimit(n, l.soft, l.hard);
  }
}
