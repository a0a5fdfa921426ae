// Resource limits through cgroups, v1 (one hierarchy per controller) or v2
// (one unified tree), detected at run time. Each container gets `berth/<id>`.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { RuntimeSpec } from "./spec.ts";

const root = "/sys/fs/cgroup";

export function cgroupVersion(): "1" | "2" {
  return existsSync(join(root, "cgroup.controllers")) ? "2" : "1";
}

function write(path: string, value: string | number): void {
  writeFileSync(path, String(value));
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export interface Cgroup {
  /** Creates the cgroup(s) and applies the limits. */
  create(): void;
  addProcess(pid: number): void;
  oomKilled(): boolean;
  freeze(frozen: boolean): void;
  pids(): number[];
  stats(): { memoryUsage: number; memoryLimit: number; cpuUsageNs: number; pids: number };
  remove(): void;
}

const v1Controllers = ["memory", "cpu", "cpuacct", "cpuset", "pids", "freezer", "devices", "blkio"];

class CgroupV1 implements Cgroup {
  private dirs: Record<string, string> = {};
  constructor(path: string, private r: RuntimeSpec["resources"]) {
    for (const c of v1Controllers) if (existsSync(join(root, c))) this.dirs[c] = join(root, c, path);
  }
  create(): void {
    for (const [c, d] of Object.entries(this.dirs)) {
      mkdirSync(d, { recursive: true });
      if (c === "cpuset") {
        // A new cpuset cgroup starts empty; inherit the parent's CPUs and memory nodes.
        for (const f of ["cpuset.cpus", "cpuset.mems"]) {
          let dir = d;
          const chain: string[] = [];
          while (dir !== join(root, c) && !(tryRead(join(dir, f)) ?? "").trim()) {
            chain.unshift(dir);
            dir = join(dir, "..");
          }
          const value = (tryRead(join(dir, f)) ?? "").trim();
          for (const x of chain) write(join(x, f), value);
        }
      }
    }
    const r = this.r;
    const m = this.dirs.memory;
    if (m && r.memory) {
      write(join(m, "memory.limit_in_bytes"), r.memory);
      if (existsSync(join(m, "memory.memsw.limit_in_bytes"))) {
        const swap = r.memorySwap === -1 ? -1 : r.memorySwap && r.memorySwap > 0 ? r.memorySwap : r.memory * 2;
        write(join(m, "memory.memsw.limit_in_bytes"), swap);
      }
    }
    const cpu = this.dirs.cpu;
    if (cpu && r.cpuQuota) {
      write(join(cpu, "cpu.cfs_period_us"), r.cpuPeriod ?? 100000);
      write(join(cpu, "cpu.cfs_quota_us"), r.cpuQuota);
    }
    if (cpu && r.cpuShares) write(join(cpu, "cpu.shares"), r.cpuShares);
    if (this.dirs.cpuset && r.cpusetCpus) write(join(this.dirs.cpuset, "cpuset.cpus"), r.cpusetCpus);
    if (this.dirs.pids && r.pidsLimit && r.pidsLimit > 0) write(join(this.dirs.pids, "pids.max"), r.pidsLimit);
  }
  addProcess(pid: number): void {
    for (const d of Object.values(this.dirs)) write(join(d, "cgroup.procs"), pid);
  }
  oomKilled(): boolean {
    const m = this.dirs.memory;
    const ctl = m && tryRead(join(m, "memory.oom_control"));
    return !!ctl && /oom_kill [1-9]/.test(ctl);
  }
  freeze(frozen: boolean): void {
    const f = this.dirs.freezer;
    if (!f) throw new Error("the freezer cgroup is not available");
    write(join(f, "freezer.state"), frozen ? "FROZEN" : "THAWED");
  }
  pids(): number[] {
    const d = this.dirs.pids ?? this.dirs.memory ?? Object.values(this.dirs)[0];
    return (tryRead(join(d!, "cgroup.procs")) ?? "").split("\n").filter(Boolean).map(Number);
  }
  stats() {
    const m = this.dirs.memory;
    return {
      memoryUsage: Number(tryRead(join(m ?? "", "memory.usage_in_bytes")) ?? 0),
      memoryLimit: Number(tryRead(join(m ?? "", "memory.limit_in_bytes")) ?? 0),
      cpuUsageNs: Number(tryRead(join(this.dirs.cpuacct ?? "", "cpuacct.usage")) ?? 0),
      pids: Number(tryRead(join(this.dirs.pids ?? "", "pids.current")) ?? 0),
    };
  }
  remove(): void {
    for (const d of Object.values(this.dirs)) removeTree(d);
  }
}

class CgroupV2 implements Cgroup {
  private dir: string;
  constructor(path: string, private r: RuntimeSpec["resources"]) {
    this.dir = join(root, path);
  }
  create(): void {
    // Enable the controllers we need down the tree.
    const parts = this.dir.slice(root.length + 1).split("/");
    let cur = root;
    for (const p of parts) {
      const avail = (tryRead(join(cur, "cgroup.controllers")) ?? "").trim().split(/\s+/).filter(Boolean);
      const want = ["memory", "cpu", "cpuset", "pids"].filter((c) => avail.includes(c));
      if (want.length) {
        try {
          write(join(cur, "cgroup.subtree_control"), want.map((c) => `+${c}`).join(" "));
        } catch {}
      }
      cur = join(cur, p);
      mkdirSync(cur, { recursive: true });
    }
    const r = this.r;
    if (r.memory) {
      write(join(this.dir, "memory.max"), r.memory);
      if (existsSync(join(this.dir, "memory.swap.max"))) {
        const swap = r.memorySwap === -1 ? "max" : r.memorySwap && r.memorySwap > 0 ? r.memorySwap - r.memory : r.memory;
        write(join(this.dir, "memory.swap.max"), swap);
      }
    }
    if (r.cpuQuota) write(join(this.dir, "cpu.max"), `${r.cpuQuota} ${r.cpuPeriod ?? 100000}`);
    if (r.cpuShares) write(join(this.dir, "cpu.weight"), Math.max(1, Math.min(10000, Math.round(1 + ((r.cpuShares - 2) * 9999) / 262142))));
    if (r.cpusetCpus) write(join(this.dir, "cpuset.cpus"), r.cpusetCpus);
    if (r.pidsLimit && r.pidsLimit > 0) write(join(this.dir, "pids.max"), r.pidsLimit);
  }
  addProcess(pid: number): void {
    write(join(this.dir, "cgroup.procs"), pid);
  }
  oomKilled(): boolean {
    return /oom_kill [1-9]/.test(tryRead(join(this.dir, "memory.events")) ?? "");
  }
  freeze(frozen: boolean): void {
    write(join(this.dir, "cgroup.freeze"), frozen ? 1 : 0);
  }
  pids(): number[] {
    return (tryRead(join(this.dir, "cgroup.procs")) ?? "").split("\n").filter(Boolean).map(Number);
  }
  stats() {
    const usage = /usage_usec (\d+)/.exec(tryRead(join(this.dir, "cpu.stat")) ?? "");
    const max = (tryRead(join(this.dir, "memory.max")) ?? "max").trim();
    return {
      memoryUsage: Number(tryRead(join(this.dir, "memory.current")) ?? 0),
      memoryLimit: max === "max" ? 0 : Number(max),
      cpuUsageNs: usage ? Number(usage[1]) * 1000 : 0,
      pids: Number(tryRead(join(this.dir, "pids.current")) ?? 0),
    };
  }
  remove(): void {
    removeTree(this.dir);
  }
}

function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e: any) {
      if (e?.code !== "EBUSY") return;
      Bun.sleepSync(10); // the last process is still leaving
    }
  }
}

export function openCgroup(path: string, resources: RuntimeSpec["resources"]): Cgroup {
  return cgroupVersion() === "2" ? new CgroupV2(path, resources) : new CgroupV1(path, resources);
}
