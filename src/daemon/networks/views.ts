// Engine API views: a network's NetworkResource (with its running
// containers) and a container's NetworkSettings / EndpointSettings.
import { hasIpamConfig, type Attachment, type NetworkRecord } from "./records.ts";
import { parsePrefix } from "../../network/ip.ts";

export function subnetBits(n: NetworkRecord, family: 4 | 6): { gateway: string; bits: number } | undefined {
  for (const c of n.IPAM.Config) {
    const p = parsePrefix(c.Subnet);
    if (p?.family === family) return { gateway: c.Gateway ?? "", bits: p.bits };
  }
  return undefined;
}

/** The container's user-given aliases plus, on user networks, its short ID (as API 1.44 shows them). */
export function aliasesOf(n: NetworkRecord, a: Attachment, containerId: string): string[] | null {
  const given = a.config.Aliases ?? [];
  if (n.Name === "bridge") return given.length ? given : null;
  return [...given, ...(given.includes(containerId.slice(0, 12)) ? [] : [containerId.slice(0, 12)])];
}

/** Names the embedded DNS answers for this container on this network. */
export function dnsNames(n: NetworkRecord, a: Attachment, c: { id: string; name: string; hostname?: string }): string[] | null {
  if (n.Name === "bridge") return null;
  const names = [c.name, ...(a.config.Aliases ?? []), c.id.slice(0, 12)];
  return [...new Set(names)];
}

export function endpointSettings(n: NetworkRecord, a: Attachment, c: { id: string; name: string }): Record<string, unknown> {
  const v4 = subnetBits(n, 4);
  const v6 = subnetBits(n, 6);
  const running = !!a.endpointId;
  return {
    IPAMConfig: hasIpamConfig(a.config.IPAMConfig) ? a.config.IPAMConfig : null,
    Links: a.config.Links ?? null,
    Aliases: aliasesOf(n, a, c.id),
    MacAddress: a.mac ?? "",
    DriverOpts: a.config.DriverOpts ?? null,
    NetworkID: n.Id,
    EndpointID: a.endpointId ?? "",
    Gateway: running && v4 ? v4.gateway : "",
    IPAddress: a.ipv4 ?? "",
    IPPrefixLen: running && v4 && a.ipv4 ? v4.bits : 0,
    IPv6Gateway: running && v6 && a.ipv6 ? v6.gateway : "",
    GlobalIPv6Address: a.ipv6 ?? "",
    GlobalIPv6PrefixLen: running && v6 && a.ipv6 ? v6.bits : 0,
    DNSNames: dnsNames(n, a, c),
  };
}

export function networkResource(n: NetworkRecord, containers: Record<string, unknown>): Record<string, unknown> {
  return { ...n, Containers: containers };
}
