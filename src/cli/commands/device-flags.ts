// `--device`, `--device-cgroup-rule` and `--gpus` of run/create, parsed as the
// docker CLI parses them (its messages for malformed values).
import type { FlagSpec } from "../flags.ts";
import { UsageError } from "../flags.ts";

export const deviceFlags: FlagSpec[] = [
  { name: "device", type: "list", help: "Add a host device to the container" },
  { name: "device-cgroup-rule", type: "list", help: "Add a rule to the cgroup allowed devices list" },
  { name: "gpus", type: "string", help: "GPU devices to add to the container ('all' to pass all GPUs)" },
];

const isMode = (s: string) => /^[rwm]{1,3}$/.test(s) && new Set(s).size === s.length;

/** `/dev/x`, `/dev/x:/dev/y`, `/dev/x:rw`, `/dev/x:/dev/y:rw`. */
function parseDevice(spec: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const parts = spec.split(":");
  let [host, inContainer, mode] = [parts[0]!, "", "rwm"];
  if (parts.length === 2) {
    if (isMode(parts[1]!)) mode = parts[1]!;
    else inContainer = parts[1]!;
  } else if (parts.length === 3) {
    if (!isMode(parts[2]!)) throw new UsageError(`invalid argument "${spec}" for "--device" flag: invalid device mode: ${parts[2]}`);
    [inContainer, mode] = [parts[1]!, parts[2]!];
  } else if (parts.length > 3) {
    throw new UsageError(`invalid argument "${spec}" for "--device" flag: invalid device specification: ${spec}`);
  }
  for (const p of [host, inContainer || host]) {
    if (!p.startsWith("/")) throw new UsageError(`invalid argument "${spec}" for "--device" flag: ${p} is not an absolute path`);
  }
  return { PathOnHost: host, PathInContainer: inContainer || host, CgroupPermissions: mode };
}

/** `all`, a count, or `device=0,1` (capabilities=… and driver=… as well). */
function parseGpus(v: string): Record<string, unknown> {
  const req: Record<string, any> = { Driver: "", Count: 0, DeviceIDs: null, Capabilities: [["gpu"]], Options: {} };
  for (const field of v.split(/,(?=[a-z]+=)/)) {
    const [k, val] = field.includes("=") ? [field.slice(0, field.indexOf("=")), field.slice(field.indexOf("=") + 1)] : ["count", field];
    if (k === "count") req.Count = val === "all" ? -1 : Number(val);
    else if (k === "device") req.DeviceIDs = val.split(",");
    else if (k === "driver") req.Driver = val;
    else if (k === "capabilities") req.Capabilities = [val.split(",")];
    else throw new UsageError(`invalid argument "${v}" for "--gpus" flag: unexpected key '${k}' in '${field}'`);
    if (k === "count" && !Number.isInteger(req.Count)) throw new UsageError(`invalid argument "${v}" for "--gpus" flag: invalid count (${val}): value must be either "all" or an integer`);
  }
  return req;
}

/** The HostConfig fields of these flags. */
export function deviceHostConfig(f: Record<string, any>): Record<string, unknown> {
  for (const r of f["device-cgroup-rule"] as string[]) {
    if (!/^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.test(r)) {
      throw new UsageError(`invalid argument "${r}" for "--device-cgroup-rule" flag: invalid device cgroup format '${r}'`);
    }
  }
  return {
    Devices: (f.device as string[]).map(parseDevice),
    DeviceCgroupRules: f["device-cgroup-rule"].length ? f["device-cgroup-rule"] : null,
    ...(f.gpus ? { DeviceRequests: [parseGpus(f.gpus)] } : {}),
  };
}
