// The OOM killer's order, as Docker sets it: the daemon lowers its own score
// (dockerd's --oom-score-adjust, -500 by default), each shim takes its daemon's
// plus one (containerd's shims do: under pressure the containers go first,
// then a shim, the daemon last), and a container's processes get the
// container's own OomScoreAdj (0 by default, init/settings.ts), never the
// lowered score they would inherit from their shim.
import { readFileSync, writeFileSync } from "node:fs";
import { debugLog } from "../shared/debug-log.ts";

const max = 1000;

function isPermission(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "EACCES" || code === "EPERM";
}

/** The daemon's score; 0 leaves it as it is. A host that withholds the right (a container, a user namespace) is told at debug level, as dockerd does. */
export function setOwnOomScore(score: number): void {
  if (score === 0) return;
  try {
    writeFileSync("/proc/self/oom_score_adj", String(score));
  } catch (e) {
    if (!isPermission(e)) throw new Error(`write /proc/self/oom_score_adj: ${(e as Error).message}`);
    debugLog(`setting the daemon's oom_score_adj to ${score}`, e);
  }
}

/** A shim's score: its parent's (the daemon's) plus one, at most the kernel's maximum. */
export function followParentOomScore(): void {
  try {
    const parent = Number(readFileSync(`/proc/${process.ppid}/oom_score_adj`, "utf8").trim());
    writeFileSync("/proc/self/oom_score_adj", String(Math.min(parent + 1, max)));
  } catch (e) {
    // The parent already gone (it is read from /proc) or no right to: the inherited score stays.
    debugLog("setting the shim's oom_score_adj", e);
  }
}
