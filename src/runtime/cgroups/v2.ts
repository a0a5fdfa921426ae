// cgroup v2: one unified tree; controllers are enabled for children through
// each ancestor's cgroup.subtree_control.
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import type { BlockIO, Cgroup, CgroupStats, Resources } from "./types.ts";
import { applyDeviceRulesV2 } from "../devices/bpf.ts";
import { cgroupRoot, killAll, readKeyed, readNumber, readPids, removeTree, tryRead, write } from "./fs.ts";
import { debugLog } from "../../shared/debug-log.ts";

const wanted = ["memory", "cpu", "cpuset", "pids", "io"];

/** Docker's mapping of cpu.shares (2–262144) onto cpu.weight (1–10000). */
export function sharesToWeight(shares: number): number {
  return Math.max(1, Math.min(10000, 1 + Math.floor(((shares - 2) * 9999) / 262142)));
}

export class CgroupV2 implements Cgroup {
  readonly version = "2";
  private dir: string;

  constructor(path: string, private r: Resources, private root = cgroupRoot) {
    this.dir = join(root, path);
  }

  takeOver(from: Cgroup): boolean {
    if (!(from instanceof CgroupV2) || !existsSync(from.dir) || existsSync(this.dir) || dirname(from.dir) !== dirname(this.dir)) return false;
    try {
      renameSync(from.dir, this.dir);
      return true;
    } catch {
      return false;
    }
  }

  exists(): boolean {
    return existsSync(this.dir);
  }

  create(): void {
    let cur = this.root;
    for (const part of this.dir.slice(this.root.length + 1).split("/")) {
      this.enableControllers(cur);
      cur = join(cur, part);
      mkdirSync(cur, { recursive: true });
    }
    this.applyLimits();
  }

  applyLimits(): void {
    const r = this.r;
    const d = this.dir;
    if (r.memory) {
      write(join(d, "memory.max"), r.memory);
      if (existsSync(join(d, "memory.swap.max"))) {
        const swap = r.memorySwap === -1 ? "max" : r.memorySwap && r.memorySwap > 0 ? Math.max(0, r.memorySwap - r.memory) : r.memory;
        write(join(d, "memory.swap.max"), swap);
      }
    }
    // v2 has no swappiness or OOM switch per cgroup: the daemon warned at create and dropped them.
    if (r.memoryReservation) write(join(d, "memory.low"), r.memoryReservation);
    if (r.cpuQuota) write(join(d, "cpu.max"), `${r.cpuQuota} ${r.cpuPeriod ?? 100000}`);
    if (r.cpuShares) write(join(d, "cpu.weight"), sharesToWeight(r.cpuShares));
    if (r.cpusetCpus) write(join(d, "cpuset.cpus"), r.cpusetCpus);
    if (r.pidsLimit && r.pidsLimit > 0) write(join(d, "pids.max"), r.pidsLimit);
    // v2 has no devices controller file: the rules are an eBPF program attached to the cgroup.
    if (r.devices) applyDeviceRulesV2(d, r.devices);
    if (r.blockIO) setBlockIO(d, r.blockIO);
  }

  /** One controller at a time: a single unavailable one must not block the others. */
  private enableControllers(dir: string): void {
    const avail = (tryRead(join(dir, "cgroup.controllers")) ?? "").trim().split(/\s+/);
    const enabled = (tryRead(join(dir, "cgroup.subtree_control")) ?? "").trim().split(/\s+/);
    for (const c of wanted) {
      if (!avail.includes(c) || enabled.includes(c)) continue;
      try {
        write(join(dir, "cgroup.subtree_control"), `+${c}`);
      } catch (e) {
        debugLog("cgroup v2: enabling a controller", e);
      }
    }
  }

  addProcess(pid: number): void {
    write(join(this.dir, "cgroup.procs"), pid);
  }

  oomKilled(): boolean {
    return (readKeyed(join(this.dir, "memory.events")).oom_kill ?? 0) > 0;
  }

  freeze(frozen: boolean): void {
    if (!existsSync(join(this.dir, "cgroup.freeze"))) throw new Error("the cgroup freezer is not available");
    write(join(this.dir, "cgroup.freeze"), frozen ? 1 : 0);
    for (let i = 0; i < 200 && this.frozen() !== frozen; i++) Bun.sleepSync(1);
  }

  frozen(): boolean {
    return (readKeyed(join(this.dir, "cgroup.events")).frozen ?? 0) === 1;
  }

  pids(): number[] {
    return readPids(this.dir);
  }

  stats(): CgroupStats {
    const d = this.dir;
    const cpu = readKeyed(join(d, "cpu.stat"));
    const max = (tryRead(join(d, "memory.max")) ?? "max").trim();
    const pidsMax = (tryRead(join(d, "pids.max")) ?? "max").trim();
    return {
      memoryUsage: readNumber(join(d, "memory.current")),
      memoryLimit: max === "max" ? 0 : Number(max),
      memoryMaxUsage: readNumber(join(d, "memory.peak")),
      memoryStats: readKeyed(join(d, "memory.stat")),
      cpuUsageNs: (cpu.usage_usec ?? 0) * 1000,
      cpuUserNs: (cpu.user_usec ?? 0) * 1000,
      cpuSystemNs: (cpu.system_usec ?? 0) * 1000,
      throttling: { periods: cpu.nr_periods ?? 0, throttledPeriods: cpu.nr_throttled ?? 0, throttledTimeNs: (cpu.throttled_usec ?? 0) * 1000 },
      pids: readNumber(join(d, "pids.current")),
      pidsLimit: pidsMax === "max" ? 0 : Number(pidsMax) || 0,
    };
  }

  remove(): void {
    if (!existsSync(this.dir)) return;
    if (this.frozen()) this.freeze(false);
    // cgroup.kill (Linux 5.14) kills the whole subtree at once; else one by one.
    if (existsSync(join(this.dir, "cgroup.kill"))) {
      try {
        write(join(this.dir, "cgroup.kill"), 1);
      } catch (e) {
        debugLog("cgroup v2: cgroup.kill (the one-by-one kill below follows)", e);
      }
    }
    killAll(this.dir);
    removeTree(this.dir);
  }
}

/**
 * As runc maps Docker's block I/O settings onto v2: io.weight (BFQ's io.bfq.weight where the kernel
 * has only that), a device's weight on a line of its own, and each device's limits on one io.max line.
 */
function setBlockIO(d: string, b: BlockIO): void {
  const weightFile = existsSync(join(d, "io.weight")) ? "io.weight" : "io.bfq.weight";
  if (b.weight) write(join(d, weightFile), `default ${b.weight}`);
  for (const w of b.weightDevices ?? []) write(join(d, weightFile), `${w.major}:${w.minor} ${w.value}`);
  const limits = new Map<string, string[]>();
  const add = (list: BlockIO["readBps"], key: string) => {
    for (const x of list ?? []) limits.set(`${x.major}:${x.minor}`, [...(limits.get(`${x.major}:${x.minor}`) ?? []), `${key}=${x.value}`]);
  };
  add(b.readBps, "rbps");
  add(b.writeBps, "wbps");
  add(b.readIops, "riops");
  add(b.writeIops, "wiops");
  for (const [dev, keys] of limits) write(join(d, "io.max"), `${dev} ${keys.join(" ")}`);
}
