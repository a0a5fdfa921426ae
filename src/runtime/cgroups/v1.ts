// cgroup v1: one directory per controller (memory, cpu, cpuacct, cpuset,
// pids, freezer, …), each holding berth/<id>.
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import type { BlockIO, Cgroup, CgroupStats, DeviceValue, Resources } from "./types.ts";
import { v1RuleLine } from "../devices/rules.ts";
import { cgroupRoot, killAll, readKeyed, readNumber, readPids, removeTree, tryRead, write } from "./fs.ts";

const controllers = ["memory", "cpu", "cpuacct", "cpuset", "pids", "freezer", "devices", "blkio"];
/** Above this, v1 means "no limit" (PAGE_COUNTER_MAX rounded to pages). */
const unlimited = 2 ** 62;

export class CgroupV1 implements Cgroup {
  readonly version = "1";
  private dirs: Record<string, string> = {};

  constructor(path: string, private r: Resources) {
    for (const c of controllers) if (existsSync(join(cgroupRoot, c))) this.dirs[c] = join(cgroupRoot, c, path);
  }

  exists(): boolean {
    return Object.values(this.dirs).some((d) => existsSync(d));
  }

  create(): void {
    for (const [c, d] of Object.entries(this.dirs)) {
      mkdirSync(d, { recursive: true });
      if (c === "cpuset") this.inheritCpuset(d);
    }
    this.applyLimits();
  }

  applyLimits(): void {
    const { memory: m, cpu, cpuset, pids, devices } = this.dirs;
    const r = this.r;
    if (m && r.memory) this.setMemory(m, r.memory, r.memorySwap);
    if (m && r.memoryReservation) write(join(m, "memory.soft_limit_in_bytes"), r.memoryReservation);
    if (m && r.memorySwappiness !== undefined) write(join(m, "memory.swappiness"), r.memorySwappiness);
    if (m && r.oomKillDisable) write(join(m, "memory.oom_control"), 1);
    if (cpu && r.cpuQuota) {
      write(join(cpu, "cpu.cfs_period_us"), r.cpuPeriod ?? 100000);
      write(join(cpu, "cpu.cfs_quota_us"), r.cpuQuota);
    }
    if (cpu && r.cpuShares) write(join(cpu, "cpu.shares"), r.cpuShares);
    if (cpuset && r.cpusetCpus) write(join(cpuset, "cpuset.cpus"), r.cpusetCpus);
    if (pids && r.pidsLimit && r.pidsLimit > 0) write(join(pids, "pids.max"), r.pidsLimit);
    // The kernel keeps a default ("a" in devices.deny or devices.allow) and exceptions to it.
    if (devices && r.devices) for (const rule of r.devices) write(join(devices, rule.allow ? "devices.allow" : "devices.deny"), v1RuleLine(rule));
    if (this.dirs.blkio && r.blockIO) this.setBlockIO(this.dirs.blkio, r.blockIO);
  }

  /** As runc: blkio.weight, or BFQ's file where the kernel has only that one; the throttles a line per device. */
  private setBlockIO(dir: string, b: BlockIO): void {
    const weightFile = existsSync(join(dir, "blkio.weight")) ? "blkio.weight" : "blkio.bfq.weight";
    if (b.weight) write(join(dir, weightFile), b.weight);
    for (const d of b.weightDevices ?? []) write(join(dir, `${weightFile}_device`), `${d.major}:${d.minor} ${d.value}`);
    const throttles: [keyof BlockIO, string][] = [["readBps", "read_bps_device"], ["writeBps", "write_bps_device"], ["readIops", "read_iops_device"], ["writeIops", "write_iops_device"]];
    for (const [key, file] of throttles) {
      for (const d of (b[key] as DeviceValue[] | undefined) ?? []) write(join(dir, `blkio.throttle.${file}`), `${d.major}:${d.minor} ${d.value}`);
    }
  }

  /** A new cpuset cgroup starts with no CPUs and no memory nodes: copy the nearest ancestor's. */
  private inheritCpuset(d: string): void {
    const top = join(cgroupRoot, "cpuset");
    for (const f of ["cpuset.cpus", "cpuset.mems"]) {
      const chain: string[] = [];
      let dir = d;
      while (dir !== top && !(tryRead(join(dir, f)) ?? "").trim()) {
        chain.unshift(dir);
        dir = join(dir, "..");
      }
      const value = (tryRead(join(dir, f)) ?? "").trim();
      for (const x of chain) write(join(x, f), value);
    }
  }

  private setMemory(dir: string, memory: number, memorySwap?: number): void {
    const memswFile = join(dir, "memory.memsw.limit_in_bytes");
    const memsw = existsSync(memswFile) ? (memorySwap === -1 ? -1 : memorySwap && memorySwap > 0 ? memorySwap : memory * 2) : undefined;
    // memory ≤ memsw at every step: raise memsw first when growing, lower memory first when shrinking.
    try {
      write(join(dir, "memory.limit_in_bytes"), memory);
      if (memsw !== undefined) write(memswFile, memsw);
    } catch {
      if (memsw !== undefined) write(memswFile, memsw);
      write(join(dir, "memory.limit_in_bytes"), memory);
    }
  }

  takeOver(from: Cgroup): boolean {
    if (!(from instanceof CgroupV1)) return false;
    const pairs = Object.entries(this.dirs).map(([c, d]) => [from.dirs[c], d] as const);
    if (pairs.some(([src, dst]) => !src || !existsSync(src) || dirname(src) !== dirname(dst) || existsSync(dst))) return false;
    const done: (readonly [string | undefined, string])[] = [];
    try {
      for (const pair of pairs) {
        renameSync(pair[0]!, pair[1]);
        done.push(pair);
      }
    } catch {
      for (const [src, dst] of done) renameSync(dst, src!); // all or nothing
      return false;
    }
    return true;
  }

  addProcess(pid: number): void {
    for (const d of Object.values(this.dirs)) write(join(d, "cgroup.procs"), pid);
  }

  oomKilled(): boolean {
    const m = this.dirs.memory;
    return !!m && (readKeyed(join(m, "memory.oom_control")).oom_kill ?? 0) > 0;
  }

  freeze(frozen: boolean): void {
    const f = this.dirs.freezer;
    if (!f || !existsSync(f)) throw new Error("the freezer cgroup is not available");
    write(join(f, "freezer.state"), frozen ? "FROZEN" : "THAWED");
    // FREEZING is transient: wait until the kernel reaches the state asked for.
    for (let i = 0; i < 200 && (tryRead(join(f, "freezer.state")) ?? "").trim() === "FREEZING"; i++) Bun.sleepSync(1);
  }

  frozen(): boolean {
    const f = this.dirs.freezer;
    return !!f && (tryRead(join(f, "freezer.state")) ?? "").trim() === "FROZEN";
  }

  pids(): number[] {
    const d = this.dirs.pids ?? this.dirs.memory ?? Object.values(this.dirs)[0];
    return d ? readPids(d) : [];
  }

  stats(): CgroupStats {
    const m = this.dirs.memory ?? "/nonexistent";
    const acct = this.dirs.cpuacct ?? "/nonexistent";
    const cpuStat = readKeyed(join(this.dirs.cpu ?? "/nonexistent", "cpu.stat"));
    const limit = readNumber(join(m, "memory.limit_in_bytes"));
    const pidsMax = (tryRead(join(this.dirs.pids ?? "/nonexistent", "pids.max")) ?? "max").trim();
    return {
      memoryUsage: readNumber(join(m, "memory.usage_in_bytes")),
      memoryLimit: limit >= unlimited ? 0 : limit,
      memoryMaxUsage: readNumber(join(m, "memory.max_usage_in_bytes")),
      memoryStats: readKeyed(join(m, "memory.stat")),
      cpuUsageNs: readNumber(join(acct, "cpuacct.usage")),
      cpuUserNs: readNumber(join(acct, "cpuacct.usage_user")),
      cpuSystemNs: readNumber(join(acct, "cpuacct.usage_sys")),
      throttling: { periods: cpuStat.nr_periods ?? 0, throttledPeriods: cpuStat.nr_throttled ?? 0, throttledTimeNs: cpuStat.throttled_time ?? 0 },
      pids: readNumber(join(this.dirs.pids ?? "/nonexistent", "pids.current")),
      pidsLimit: pidsMax === "max" ? 0 : Number(pidsMax) || 0,
    };
  }

  remove(): void {
    if (this.frozen()) this.freeze(false);
    const d = this.dirs.pids ?? this.dirs.memory;
    if (d && existsSync(d)) killAll(d);
    const errors: string[] = [];
    for (const dir of Object.values(this.dirs)) {
      try {
        removeTree(dir);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (errors.length) throw new Error(errors.join("; "));
  }
}
