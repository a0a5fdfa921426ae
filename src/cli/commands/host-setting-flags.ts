// run/create flags that tune the container's kernel settings: --sysctl,
// --shm-size, --group-add, --oom-score-adj, --cgroupns and --userns, parsed with the
// docker CLI's messages for malformed values.
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
  if (f.userns !== undefined) {
    if (f.userns !== "" && f.userns !== "host") throw new UsageError("--userns: invalid USER mode");
    out.UsernsMode = f.userns;
  }
  return out;
}
