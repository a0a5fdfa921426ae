// run/create flags that tune the container's kernel settings: --sysctl,
// --shm-size, --group-add, --oom-score-adj, --cgroupns, --userns, the memory
// reservation, swappiness and OOM killer, and the --pid, --uts and --ipc modes
// (sent as given: the daemon says which it refuses), parsed with the docker
// CLI's messages for malformed values.
import type { FlagSpec } from "../flags.ts";
import { UsageError } from "../flags.ts";
import { parseBytes } from "../../shared/units.ts";
import { namespacedSysctl } from "../../shared/sysctls.ts";

export const hostSettingFlags: FlagSpec[] = [
  { name: "sysctl", type: "list", help: "Sysctl options" },
  { name: "shm-size", type: "string", help: "Size of /dev/shm" },
  { name: "group-add", type: "list", help: "Add additional groups to join" },
  { name: "oom-score-adj", type: "string", help: "Tune host's OOM preferences (-1000 to 1000)" },
  { name: "cgroupns", type: "string", help: "Cgroup namespace to use (host|private)" },
  { name: "userns", type: "string", help: "User namespace to use" },
  { name: "memory-reservation", type: "string", help: "Memory soft limit" },
  { name: "memory-swappiness", type: "string", help: "Tune container memory swappiness (0 to 100)" },
  { name: "oom-kill-disable", type: "bool", help: "Disable OOM Killer" },
  { name: "pid", type: "string", help: "PID namespace to use" },
  { name: "uts", type: "string", help: "UTS namespace to use" },
  { name: "ipc", type: "string", help: "IPC mode to use" },
];

function sysctls(list: string[]): Record<string, string> | undefined {
  if (!list.length) return undefined;
  const out: Record<string, string> = {};
  for (const s of list) {
    const eq = s.indexOf("=");
    if (eq < 1 || !namespacedSysctl(s.slice(0, eq))) throw new UsageError(`invalid argument "${s}" for "--sysctl" flag: sysctl '${s}' is not allowed`);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

export function hostSettingsHostConfig(f: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const sc = sysctls(f.sysctl ?? []);
  if (sc) out.Sysctls = sc;
  if (f["shm-size"]) {
    try {
      out.ShmSize = parseBytes(f["shm-size"]);
    } catch {
      throw new UsageError(`invalid argument "${f["shm-size"]}" for "--shm-size" flag: invalid size: '${f["shm-size"]}'`);
    }
  }
  if (f["group-add"]?.length) out.GroupAdd = f["group-add"];
  if (f["oom-score-adj"] !== undefined) {
    const n = Number(f["oom-score-adj"]);
    if (!/^-?\d+$/.test(f["oom-score-adj"])) throw new UsageError(`invalid argument "${f["oom-score-adj"]}" for "--oom-score-adj" flag: strconv.ParseInt: parsing "${f["oom-score-adj"]}": invalid syntax`);
    out.OomScoreAdj = n;
  }
  if (f.cgroupns !== undefined) out.CgroupnsMode = f.cgroupns;
  if (f["memory-reservation"]) {
    try {
      out.MemoryReservation = parseBytes(f["memory-reservation"]);
    } catch {
      throw new UsageError(`invalid argument "${f["memory-reservation"]}" for "--memory-reservation" flag: invalid size: '${f["memory-reservation"]}'`);
    }
  }
  if (f["memory-swappiness"] !== undefined) {
    if (!/^-?\d+$/.test(f["memory-swappiness"])) throw new UsageError(`invalid argument "${f["memory-swappiness"]}" for "--memory-swappiness" flag: strconv.ParseInt: parsing "${f["memory-swappiness"]}": invalid syntax`);
    // -1, the docker CLI's default, leaves the kernel's.
    if (Number(f["memory-swappiness"]) !== -1) out.MemorySwappiness = Number(f["memory-swappiness"]);
  }
  if (f["oom-kill-disable"]) out.OomKillDisable = true;
  if (f.pid !== undefined) out.PidMode = f.pid;
  if (f.uts !== undefined) out.UTSMode = f.uts;
  if (f.ipc !== undefined) out.IpcMode = f.ipc;
  if (f.userns !== undefined) {
    if (f.userns !== "" && f.userns !== "host") throw new UsageError("--userns: invalid USER mode");
    out.UsernsMode = f.userns;
  }
  return out;
}
