// The service keys that become HostConfig fields by more than a copy, as
// docker compose maps them: devices (short and long syntax, CDI names as a
// device request), gpus and deploy's device reservations, links and
// external_links (container:alias pairs), volumes_from (a service's first
// container), the CFS period and quota, and deploy.restart_policy.
import { ComposeError } from "../../../compose/errors.ts";
import { durationNs } from "../../../compose/duration.ts";
import type { Project, Service } from "../../../compose/types.ts";
import { containerName, replicas } from "./names.ts";
import { parseBytes } from "../../../shared/units.ts";

type Raw = Record<string, any>;

/** A CDI device name: vendor.com/class=name. */
const cdiName = /^[A-Za-z0-9][A-Za-z0-9.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*=[A-Za-z0-9_.:-]+$/;

/** `devices:` as HostConfig.Devices; CDI names go to a device request instead, as compose sends them. */
export function deviceMappings(s: Service): { devices: Raw[]; cdi: string[] } {
  const devices: Raw[] = [];
  const cdi: string[] = [];
  for (const d of (s.devices as unknown[] | undefined) ?? []) {
    let source: string, target: string, permissions: string;
    if (d && typeof d === "object") {
      const l = d as Raw;
      [source, target, permissions] = [String(l.source ?? ""), String(l.target ?? l.source ?? ""), String(l.permissions ?? "rwm")];
    } else {
      const parts = String(d).split(":");
      source = parts[0]!;
      // "src:rw" is a source with permissions; "src:dst" a source with a target.
      if (parts.length === 2 && /^[rwm]+$/.test(parts[1]!)) [target, permissions] = [source, parts[1]!];
      else [target, permissions] = [parts[1] ?? source, parts[2] ?? "rwm"];
    }
    if (source === target && cdiName.test(source)) cdi.push(source);
    else devices.push({ PathOnHost: source, PathInContainer: target, CgroupPermissions: permissions });
  }
  return { devices, cdi };
}

/** gpus (`all` or a list), deploy.resources.reservations.devices and CDI devices as HostConfig.DeviceRequests. */
export function deviceRequests(s: Service, cdi: string[]): Raw[] {
  const out: Raw[] = [];
  if (cdi.length) out.push({ Driver: "cdi", DeviceIDs: cdi });
  const gpus = s.gpus === "all" ? [{ count: -1 }] : ((s.gpus as Raw[] | undefined) ?? []);
  for (const g of gpus) {
    out.push({ Driver: g.driver ?? "", Count: count(g.count), DeviceIDs: g.device_ids ?? null, Capabilities: [[...(g.capabilities ?? []), "gpu"]], Options: g.options ?? {} });
  }
  const reserved = ((s.deploy?.resources as Raw | undefined)?.reservations?.devices as Raw[] | undefined) ?? [];
  for (const d of reserved) {
    out.push({ Driver: d.driver ?? "", Count: count(d.count), DeviceIDs: d.device_ids ?? null, Capabilities: [d.capabilities ?? []], Options: d.options ?? {} });
  }
  return out;
}

function count(v: unknown): number {
  if (v === undefined || v === null) return 0;
  return v === "all" ? -1 : Number(v);
}

/**
 * links and external_links as compose writes them: for each container of a
 * linked service, `name:alias`, `name:service-N` and `name:project-service-N`
 * (N the linking container's number); an external link as `container:alias`.
 */
export function linksOf(p: Project, s: Service, n: number): string[] {
  const out: string[] = [];
  for (const raw of (s.links as string[] | undefined) ?? []) {
    const [svc, alias = svc] = String(raw).split(":") as [string, string?];
    const linked = p.services[svc];
    if (!linked) continue; // a link to a service a profile left out
    for (let i = 1; i <= replicas(linked); i++) {
      const name = containerName(p.name, svc, i, linked);
      out.push(`${name}:${alias}`, `${name}:${svc}-${n}`, `${name}:${p.name}-${svc}-${n}`);
    }
  }
  for (const raw of (s.external_links as string[] | undefined) ?? []) {
    const [name, alias = name] = String(raw).split(":") as [string, string?];
    out.push(`${name}:${alias}`);
  }
  return out;
}

/** volumes_from: `service[:mode]` is that service's first container, `container:name[:mode]` the container. */
export function volumesFrom(p: Project, s: Service): string[] | null {
  const list = (s.volumes_from as string[] | undefined) ?? [];
  if (!list.length) return null;
  return list.map((raw) => {
    const parts = String(raw).split(":");
    if (parts[0] === "container") return parts.slice(1).join(":");
    const svc = p.services[parts[0]!];
    if (!svc) throw new ComposeError(`cannot share volume with service ${parts[0]}: container missing`);
    return [containerName(p.name, parts[0]!, 1, svc), ...parts.slice(1)].join(":");
  });
}

/** cpu_period and cpu_quota: microseconds, given as a number or a duration. */
export function microseconds(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" || /^-?\d+$/.test(String(v))) return Number(v);
  return Math.round(durationNs(String(v)) / 1000);
}

/** restart, with deploy.restart_policy over it (its condition in the engine's words). */
export function restartPolicy(s: Service): { Name: string; MaximumRetryCount: number } {
  const [name = "no", max] = String(s.restart ?? "no").split(":");
  let policy = { Name: name, MaximumRetryCount: max ? Number(max) : 0 };
  const deployed = s.deploy?.restart_policy as { condition?: string; max_attempts?: number } | undefined;
  if (deployed) {
    const condition = deployed.condition ?? "any";
    const engine: Record<string, string> = { none: "no", no: "no", any: "always", always: "always", "on-failure": "on-failure", "unless-stopped": "unless-stopped" };
    policy = { Name: engine[condition] ?? condition, MaximumRetryCount: deployed.max_attempts ?? 0 };
  }
  return policy;
}

/** blkio_config as docker compose maps it: the weight, and per device a weight or a rate (bytes with units, or operations). */
export function blkioConfig(s: Service): Record<string, unknown> {
  const b = s.blkio_config as Record<string, any> | undefined;
  if (!b) return {};
  const rate = (v: unknown) => (typeof v === "number" ? v : parseBytes(String(v)));
  const weights = (list?: { path: string; weight: unknown }[]) => (list ?? []).map((d) => ({ Path: d.path, Weight: Number(d.weight) }));
  const rates = (list?: { path: string; rate: unknown }[]) => (list ?? []).map((d) => ({ Path: d.path, Rate: rate(d.rate) }));
  return {
    BlkioWeight: Number(b.weight ?? 0),
    BlkioWeightDevice: weights(b.weight_device),
    BlkioDeviceReadBps: rates(b.device_read_bps),
    BlkioDeviceWriteBps: rates(b.device_write_bps),
    BlkioDeviceReadIOps: rates(b.device_read_iops),
    BlkioDeviceWriteIOps: rates(b.device_write_iops),
  };
}
