// HostConfig's kernel settings checked at create, with the words dockerd (or
// runc, where dockerd leaves it to the runtime) uses: Sysctls, ShmSize,
// OomScoreAdj, CgroupnsMode, Ulimits and GroupAdd.
import { InvalidParameterError } from "../../errors.ts";
import { namespacedSysctl, networkSysctl } from "../../shared/sysctls.ts";
import { ulimitProblem } from "../../shared/ulimits.ts";

type Json = Record<string, any>;

/** Fills defaults in place (CgroupnsMode) and throws InvalidParameterError on what Docker refuses. */
export function checkHostSettings(hc: Json): void {
  for (const key of Object.keys(hc.Sysctls ?? {})) {
    if (!namespacedSysctl(key)) throw new InvalidParameterError(`sysctl ${JSON.stringify(key)} is not in a separate kernel namespace`);
    if (networkSysctl(key) && hc.NetworkMode === "host") throw new InvalidParameterError(`sysctl ${JSON.stringify(key)} not allowed in host network namespace`);
  }
  if (Number(hc.ShmSize ?? 0) < 0) throw new InvalidParameterError("SHM size can not be less than 0");
  const oom = Number(hc.OomScoreAdj ?? 0);
  if (oom < -1000 || oom > 1000) throw new InvalidParameterError(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  const ns = hc.CgroupnsMode ?? "";
  if (!["", "host", "private"].includes(ns)) throw new InvalidParameterError(`invalid cgroup namespace mode: ${ns}`);
  // berth gives every container a cgroup namespace of its own unless asked otherwise, on v1 as on v2.
  hc.CgroupnsMode = ns || "private";
  for (const u of hc.Ulimits ?? []) {
    const problem = ulimitProblem(String(u?.Name), Number(u?.Soft), Number(u?.Hard));
    if (problem) throw new InvalidParameterError(problem);
  }
}
