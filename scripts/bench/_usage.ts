// What an operation cost a process tree, in the two measures that carry from
// host to host where times do not: minor page faults (first touches of memory,
// which a VM that backs guest memory lazily makes slow) and CPU time. Read from
// /proc/PID/stat before and after: a process's own counts (all its threads,
// exited ones included) plus those of the children it has waited for, so a
// worker or untar process that came and went within the operation is counted
// through its parent. A process orphaned meanwhile (a shim that double-forks)
// is counted only if the tree's root is a subreaper that waits for it (see
// `subreaper`). CPU comes in clock ticks (10 ms here): average many operations.
import { readdirSync, readFileSync } from "node:fs";

export interface Usage {
  /** Minor page faults. */
  faults: number;
  /** User + system CPU, ms. */
  cpuMs: number;
}

const TICK_MS = 1000 / (Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString()) || 100);

interface Stat {
  ppid: number;
  usage: Usage;
  /** The process's own CPU (all its threads), without its waited children's, ms. */
  ownCpuMs: number;
}

/** Fields of /proc/PID/stat after the command name (which may hold spaces): index 0 is field 3. */
function readStat(pid: number | "self"): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined; // gone meanwhile
  }
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const n = (field: number) => Number(f[field - 3]);
  return {
    ppid: n(4),
    // proc(5): 10 minflt, 11 cminflt (12 and 13 are the major faults); 14 utime, 15 stime, 16 cutime, 17 cstime
    usage: { faults: n(10) + n(11), cpuMs: (n(14) + n(15) + n(16) + n(17)) * TICK_MS },
    ownCpuMs: (n(14) + n(15)) * TICK_MS,
  };
}

export const add = (a: Usage, b: Usage): Usage => ({ faults: a.faults + b.faults, cpuMs: a.cpuMs + b.cpuMs });
export const minus = (a: Usage, b: Usage): Usage => ({ faults: a.faults - b.faults, cpuMs: a.cpuMs - b.cpuMs });
export const none: Usage = { faults: 0, cpuMs: 0 };

/**
 * The roots and their live descendants, one walk of /proc; `enter` false leaves a process and
 * everything under it out (a container's own programs, say).
 */
export function processTree(roots: number[], enter: (pid: number) => boolean = () => true): number[] {
  const byParent = new Map<number, number[]>();
  for (const e of readdirSync("/proc")) {
    const pid = Number(e);
    if (!Number.isInteger(pid)) continue;
    const ppid = readStat(pid)?.ppid;
    if (ppid !== undefined) byParent.set(ppid, [...(byParent.get(ppid) ?? []), pid]);
  }
  const tree: number[] = [];
  const seen = new Set<number>();
  for (const queue = [...roots]; queue.length; ) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    if (!enter(pid)) continue;
    tree.push(pid);
    queue.push(...(byParent.get(pid) ?? []));
  }
  return tree;
}

/** The roots and every live descendant of them, each with the children it has waited for. */
export function treeUsage(roots: number[]): Usage {
  let total = none;
  for (const pid of processTree(roots)) {
    const s = readStat(pid);
    if (s) total = add(total, s.usage);
  }
  return total;
}

/** One process's own CPU so far (a proxy's copying), ms; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  return readStat(pid)?.ownCpuMs;
}

/** The parent of a process, or undefined once it is gone. */
export function parentOf(pid: number): number | undefined {
  return readStat(pid)?.ppid;
}

/** This process's children that it has waited for (a spawned `tar`, a CLI run to its end). */
export function waitedChildren(): Usage {
  const f = readFileSync("/proc/self/stat", "latin1");
  const v = f.slice(f.lastIndexOf(")") + 2).split(" ");
  const n = (field: number) => Number(v[field - 3]);
  return { faults: n(11), cpuMs: (n(16) + n(17)) * TICK_MS };
}

/** This process alone, all its threads (an in-process layer apply). */
export function ownUsage(): Usage {
  const r = process.resourceUsage();
  return { faults: r.minorPageFault, cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000 };
}

/** `fn`'s cost to what `probe` measures. */
export async function during<T>(probe: () => Usage, fn: () => Promise<T>): Promise<[T, Usage]> {
  const before = probe();
  const value = await fn();
  return [value, minus(probe(), before)];
}

/**
 * A command line that runs `cmd` under tini as a subreaper where tini is
 * installed, so the processes it orphans (containerd's shims) are waited for
 * inside the measured tree; `cmd` itself otherwise.
 */
export function subreaper(cmd: string[]): { cmd: string[]; reaped: boolean } {
  const tini = Bun.which("tini");
  return tini ? { cmd: [tini, "-s", "--", ...cmd], reaped: true } : { cmd, reaped: false };
}

/** Until the fault counts `probe` reads stop moving (the engines' background work after an operation is done), 5 s at most. */
export async function settled(probe: () => (Usage | undefined)[]): Promise<void> {
  const key = () => probe().map((u) => u?.faults ?? 0).join(",");
  let last = key();
  for (const until = Date.now() + 5000; Date.now() < until; ) {
    await Bun.sleep(250);
    const now = key();
    if (now === last) return;
    last = now;
  }
}

export const medianUsage = (xs: Usage[]): Usage => {
  const mid = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
  return { faults: mid(xs.map((x) => x.faults)), cpuMs: mid(xs.map((x) => x.cpuMs)) };
};

/** "12.3k faults, 410 ms CPU" */
export function formatUsage(u: Usage | undefined): string {
  if (!u) return "—";
  const f = u.faults >= 10_000 ? `${(u.faults / 1000).toFixed(0)}k` : u.faults >= 1000 ? `${(u.faults / 1000).toFixed(1)}k` : `${u.faults}`;
  const c = u.cpuMs >= 1000 ? `${(u.cpuMs / 1000).toFixed(2)} s` : `${u.cpuMs.toFixed(0)} ms`;
  return `${f} faults, ${c} CPU`;
}
