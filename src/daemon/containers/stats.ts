// `GET /containers/{id}/stats`: Docker's stats JSON from the container's cgroup.
import { readFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import type { ContainerRecord } from "./records.ts";
import type { ContainerEngine } from "./engine.ts";

/** Host CPU time in nanoseconds (all CPUs), as dockerd reports system_cpu_usage. */
function systemCpuNs(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const jiffies = line.trim().split(/\s+/).slice(1, 8).reduce((a, b) => a + Number(b), 0);
  return jiffies * 1e7; // USER_HZ is 100
}

export interface CpuSample {
  cpu_usage: { total_usage: number; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage: number;
  online_cpus: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export function sampleStats(e: ContainerEngine, c: ContainerRecord, pre?: { read: string; cpu: CpuSample }): { json: Record<string, unknown>; cpu: CpuSample; read: string } {
  const s = e.runtime.stats(e.dirOf(c));
  const cpu: CpuSample = {
    cpu_usage: { total_usage: s.cpuUsageNs, usage_in_kernelmode: s.cpuSystemNs, usage_in_usermode: s.cpuUserNs },
    system_cpu_usage: systemCpuNs(),
    online_cpus: availableParallelism(),
    throttling_data: { periods: s.throttling.periods, throttled_periods: s.throttling.throttledPeriods, throttled_time: s.throttling.throttledTimeNs },
  };
  const read = new Date().toISOString();
  const limit = s.memoryLimit > 0 && s.memoryLimit < totalmem() ? s.memoryLimit : totalmem();
  return {
    cpu,
    read,
    json: {
      read,
      preread: pre?.read ?? "0001-01-01T00:00:00Z",
      pids_stats: { current: s.pids, ...(s.pidsLimit ? { limit: s.pidsLimit } : {}) },
      blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
      num_procs: 0,
      storage_stats: {},
      cpu_stats: cpu,
      precpu_stats: pre?.cpu ?? { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
      // memory.stat's counters as dockerd passes them on: the docker CLI takes the page cache
      // (total_inactive_file on v1, inactive_file on v2) off the usage it shows.
      memory_stats: { usage: s.memoryUsage, ...(s.memoryMaxUsage ? { max_usage: s.memoryMaxUsage } : {}), limit, stats: s.memoryStats },
      name: `/${c.name}`,
      id: c.id,
    },
  };
}
