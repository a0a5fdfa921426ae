// HostConfig's Devices, DeviceCgroupRules and DeviceRequests: checked at
// create with Docker's messages, turned into nodes and cgroup rules at start
// (the host's device may change in between, as with Docker).
import { lstatSync } from "node:fs";
import { isAbsolute, posix } from "node:path";
import { InvalidParameterError } from "../../errors.ts";
import { deviceAt, devicesUnder, parseDeviceCgroupRule, ruleFor, validDeviceAccess, type DeviceNode, type DeviceRule } from "../../runtime/index.ts";

type Json = Record<string, any>;

interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

/** Fills Docker's defaults in place and throws InvalidParameterError on what Docker refuses. */
export function checkDevices(hc: Json): void {
  const requests: Json[] = Array.isArray(hc.DeviceRequests) ? hc.DeviceRequests : [];
  if (requests.length) {
    // No device driver (NVIDIA's or another) is built in: say so as dockerd does without one.
    const r = requests[0]!;
    const caps = JSON.stringify(r.Capabilities ?? []).replace(/"/g, "").replace(/,/g, " ");
    throw new InvalidParameterError(`could not select device driver "${r.Driver ?? ""}" with capabilities: ${caps}`);
  }
  if (hc.Devices != null && !Array.isArray(hc.Devices)) throw new InvalidParameterError("Devices must be a list");
  hc.Devices = (hc.Devices ?? []).map((d: Json): DeviceMapping => {
    const host = String(d?.PathOnHost ?? "");
    const inContainer = String(d?.PathInContainer || host);
    const access = String(d?.CgroupPermissions || "rwm");
    if (!isAbsolute(host)) throw new InvalidParameterError(`${host} is not an absolute path`);
    if (!isAbsolute(inContainer)) throw new InvalidParameterError(`${inContainer} is not an absolute path`);
    if (!validDeviceAccess(access)) throw new InvalidParameterError(`invalid device mode: ${access}`);
    return { PathOnHost: host, PathInContainer: posix.normalize(inContainer), CgroupPermissions: access };
  });
  if (hc.DeviceCgroupRules != null && !Array.isArray(hc.DeviceCgroupRules)) throw new InvalidParameterError("DeviceCgroupRules must be a list");
  for (const rule of hc.DeviceCgroupRules ?? []) {
    try {
      parseDeviceCgroupRule(String(rule));
    } catch (e) {
      throw new InvalidParameterError((e as Error).message);
    }
  }
}

/** The nodes to make and the rules to add for a container's --device and --device-cgroup-rule. */
export function containerDevices(hc: Json): { nodes: DeviceNode[]; rules: DeviceRule[] } {
  const nodes: DeviceNode[] = [];
  const rules: DeviceRule[] = [];
  for (const d of (hc.Devices ?? []) as DeviceMapping[]) {
    const st = lstatSync(d.PathOnHost, { throwIfNoEntry: false });
    if (!st) throw new Error(`error gathering device information while adding custom device "${d.PathOnHost}": no such file or directory`);
    // A directory brings every device under it (Docker's `--device /dev/snd`).
    const found = st.isDirectory() ? devicesUnder(d.PathOnHost, d.PathInContainer) : [deviceAt(d.PathOnHost, d.PathInContainer, st)];
    if (!st.isDirectory() && !found[0]) throw new Error(`error gathering device information while adding custom device "${d.PathOnHost}": not a device node`);
    for (const node of found as DeviceNode[]) {
      nodes.push(node);
      rules.push(ruleFor(node, d.CgroupPermissions));
    }
  }
  for (const r of hc.DeviceCgroupRules ?? []) rules.push(parseDeviceCgroupRule(String(r)));
  return { nodes, rules };
}
