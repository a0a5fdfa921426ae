// Moving a process into a cgroup waits for an RCU grace period (7–15 ms here)
// when no move happened in the last one: the kernel's cgroup_threadgroup_rwsem
// switches its readers to a slow path first. Moves shortly after another are
// quick. A caller that knows a move is coming (an exec was created, its start
// will follow) starts one early, off the main thread: this process moved into
// the cgroup it is already in, which changes nothing but the timing.
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cgroupRoot } from "./fs.ts";
import { cgroupVersion } from "./index.ts";

/** Our own cgroup.procs (in one hierarchy: the lock is global); null where none can be found. */
let ownProcs: string | null | undefined;

/** The cgroup.procs file primeCgroupMove writes to (exported for tests). */
export function findOwnProcs(): string | null {
  try {
    const lines = readFileSync("/proc/self/cgroup", "utf8").split("\n");
    if (cgroupVersion() === "2") {
      const path = lines.find((l) => l.startsWith("0::"))?.slice(3);
      return path ? join(cgroupRoot, path, "cgroup.procs") : null;
    }
    const pids = lines.find((l) => /^\d+:pids:/.test(l))?.split(":")[2];
    return pids ? join(cgroupRoot, "pids", pids, "cgroup.procs") : null;
  } catch {
    return null;
  }
}

/** Starts a no-op cgroup move on Bun's thread pool; never throws, never waits. */
export function primeCgroupMove(): void {
  ownProcs ??= findOwnProcs();
  if (!ownProcs) return;
  writeFile(ownProcs, String(process.pid)).catch(() => {
    ownProcs = null; // not allowed here (a rootless daemon): stop trying
  });
}
