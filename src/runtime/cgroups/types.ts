// One interface over cgroup v1 (a hierarchy per controller) and v2 (one
// unified tree): what the shim and the daemon need from a container's cgroup.
import type { DeviceRule } from "../devices/rules.ts";

/** The limits of a container (Docker's HostConfig resources, already in kernel units). */
export interface Resources {
  /** Bytes; 0/undefined = unlimited. */
  memory?: number;
  /** Memory + swap in bytes (Docker's --memory-swap); -1 = unlimited swap; undefined = 2 × memory. */
  memorySwap?: number;
  /** Bytes the kernel reclaims from the container last under host memory pressure (Docker's --memory-reservation): v1 memory.soft_limit_in_bytes, v2 memory.low. */
  memoryReservation?: number;
  /** 0–100 (v1 memory.swappiness; v2 has none); undefined: the kernel's. */
  memorySwappiness?: number;
  /** No OOM kill at the memory limit: the container's processes wait for memory instead (v1 memory.oom_control). */
  oomKillDisable?: boolean;
  /** CFS quota and period in microseconds (--cpus 1.5 → 150000 / 100000). */
  cpuQuota?: number;
  cpuPeriod?: number;
  /** v1 cpu.shares (2–262144); mapped onto v2 cpu.weight. */
  cpuShares?: number;
  /** "0-1", "0,2". */
  cpusetCpus?: string;
  pidsLimit?: number;
  /** Which device nodes may be made and opened, in order; undefined: leave the cgroup's rules as they are. */
  devices?: DeviceRule[];
  /** Block I/O: Docker's --blkio-weight, --blkio-weight-device and --device-{read,write}-{bps,iops}. */
  blockIO?: BlockIO;
}

/** A block device by its numbers, with a value for it (a weight, or a rate in bytes or operations a second). */
export interface DeviceValue {
  major: number;
  minor: number;
  value: number;
}

export interface BlockIO {
  /** 10–1000. */
  weight?: number;
  weightDevices?: DeviceValue[];
  readBps?: DeviceValue[];
  writeBps?: DeviceValue[];
  readIops?: DeviceValue[];
  writeIops?: DeviceValue[];
}

export interface CgroupStats {
  memoryUsage: number;
  /** 0 when unlimited. */
  memoryLimit: number;
  memoryMaxUsage: number;
  /** Counters in the controller's memory.stat (cache, rss, inactive_file, …). */
  memoryStats: Record<string, number>;
  cpuUsageNs: number;
  cpuUserNs: number;
  cpuSystemNs: number;
  throttling: { periods: number; throttledPeriods: number; throttledTimeNs: number };
  pids: number;
  /** 0 when unlimited. */
  pidsLimit: number;
}

export interface Cgroup {
  readonly version: "1" | "2";
  /** Creates the cgroup (idempotent) and applies the limits; also used for live updates. */
  create(): void;
  /** Applies the limits to the cgroup as it is (one just taken over already exists). */
  applyLimits(): void;
  /**
   * Becomes `from` (a standby's cgroup, made ahead with its processes in it)
   * by renaming it to this cgroup's path; false when it could not (different
   * parent, or a controller missing), and then nothing was renamed.
   */
  takeOver(from: Cgroup): boolean;
  exists(): boolean;
  addProcess(pid: number): void;
  /** Whether the kernel's OOM killer killed a process of this cgroup. */
  oomKilled(): boolean;
  freeze(frozen: boolean): void;
  frozen(): boolean;
  /** Host PIDs of every process in the cgroup. */
  pids(): number[];
  stats(): CgroupStats;
  /** Kills what is left (SIGKILL, thawed first) and removes the cgroup. */
  remove(): void;
}
