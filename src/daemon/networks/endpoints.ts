// A container's endpoint on a bridge network: an address from the network's
// pool (or the one asked for), a MAC made from it, and a veth into the
// container's namespace. What fails half-way is undone.
import { InvalidParameterError } from "../../errors.ts";
import { formatIP, parseIP, parsePrefix, contains, type Family } from "../../network/ip.ts";
import { nextFree, type Pool } from "../../network/ipam.ts";
import { plugEndpoint, removeLink } from "../../network/bridge.ts";
import { bridgeOf, ForbiddenError, mtuOption, newId } from "./create.ts";
import type { Attachment, EndpointConfig, NetworkRecord, NetworkRecords } from "./records.ts";
import type { ReleasedEndpoints } from "./released.ts";

export function poolsOf(n: NetworkRecord): (Pool & { family: Family })[] {
  return n.IPAM.Config.map((c) => {
    const subnet = parsePrefix(c.Subnet)!;
    const gw = c.Gateway ? parseIP(c.Gateway) : undefined;
    return { family: subnet.family, subnet, range: c.IPRange ? parsePrefix(c.IPRange) : undefined, gateway: gw?.value };
  });
}

/** The default routes a container gets from `n` when it gives the gateway: through its first gateway of each family. */
export function gatewaysOf(n: NetworkRecord): { family: Family; value: bigint }[] {
  if (n.Internal) return [];
  const out: { family: Family; value: bigint }[] = [];
  for (const p of poolsOf(n)) if (p.gateway !== undefined && !out.some((g) => g.family === p.family)) out.push({ family: p.family, value: p.gateway });
  return out;
}

/** Docker's MAC for an IPv4 address: 02:42 and the address's four bytes. */
export function macFor(ipv4: bigint): string {
  return ["02", "42", ...[24n, 16n, 8n, 0n].map((s) => Number((ipv4 >> s) & 0xffn).toString(16).padStart(2, "0"))].join(":");
}

/** Checks an asked address against the network (at create and connect). */
export function checkRequested(n: NetworkRecord, asked: EndpointConfig["IPAMConfig"]): void {
  for (const s of asked?.LinkLocalIPs ?? []) {
    const ip = parseIP(s);
    if (!ip || ip.value === 0n) throw new InvalidParameterError(`invalid endpoint settings:\ninvalid link-local IP address: ${s}`);
  }
  for (const [key, family] of [["IPv4Address", 4], ["IPv6Address", 6]] as const) {
    const s = asked?.[key];
    if (!s) continue;
    const ip = parseIP(s);
    if (!ip || ip.family !== family) throw new InvalidParameterError(`invalid endpoint settings:\ninvalid ${family === 4 ? "IPv4" : "IPv6"} address: ${s}`);
    const ok = poolsOf(n).some((p) => p.family === family && contains(p.range ?? p.subnet, family, ip.value));
    if (!ok) throw new InvalidParameterError(`invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${s}`);
  }
}

function allocate(n: NetworkRecord, family: Family, asked: string | undefined, used: Set<bigint>): bigint | undefined {
  const pool = poolsOf(n).find((p) => p.family === family);
  if (!pool) return undefined;
  if (asked) {
    const ip = parseIP(asked)!;
    if (used.has(ip.value) || ip.value === pool.gateway) throw new ForbiddenError("Address already in use");
    return ip.value;
  }
  const v = nextFree(pool, used);
  if (v === undefined) throw new ForbiddenError(`no available ${family === 4 ? "IPv4" : "IPv6"} addresses on this network's address pools: ${n.Name} (${n.Id})`);
  return v;
}

/**
 * Wires one attachment of a container whose namespace is at `nsPath`; returns it filled in.
 * Addresses of stopped endpoints whose veth lingers (released) are not handed out, unless asked for.
 */
export function startEndpoint(records: NetworkRecords, n: NetworkRecord, a: Attachment, nsPath: string, ifname: string, defaultRoute: boolean, released: ReleasedEndpoints): Attachment {
  for (const asked of [a.config.IPAMConfig?.IPv4Address, a.config.IPAMConfig?.IPv6Address]) if (asked) released.reclaim(n.Id, asked);
  const used = new Set([...records.usedAddresses(n.Id), ...released.held(n.Id)].map((s) => parseIP(s)!.value));
  const v4 = allocate(n, 4, a.config.IPAMConfig?.IPv4Address, used);
  const v6 = n.EnableIPv6 ? allocate(n, 6, a.config.IPAMConfig?.IPv6Address, used) : undefined;
  const mac = a.config.MacAddress || (v4 !== undefined ? macFor(v4) : macFor(BigInt(Math.floor(Math.random() * 2 ** 32))));
  const filled: Attachment = {
    ...a, endpointId: newId(), mac, hostVeth: `veth${newId().slice(0, 7)}`,
    ipv4: v4 !== undefined ? formatIP(4, v4) : undefined, ipv6: v6 !== undefined ? formatIP(6, v6) : undefined,
  };
  records.setEndpoint(filled);
  try {
    const pools = poolsOf(n);
    const addresses = pools.flatMap((p) => {
      const v = p.family === 4 ? v4 : v6;
      return v === undefined ? [] : [{ family: p.family, value: v, bits: p.subnet.bits }];
    });
    for (const s of a.config.IPAMConfig?.LinkLocalIPs ?? []) {
      const ip = parseIP(s)!;
      addresses.push({ family: ip.family, value: ip.value, bits: ip.family === 4 ? 32 : 128 });
    }
    const gateways = defaultRoute ? gatewaysOf(n) : [];
    const mtu = n.Options[mtuOption] ? Number(n.Options[mtuOption]) : undefined;
    plugEndpoint({ bridge: bridgeOf(n), nsPath, hostVeth: filled.hostVeth!, ifname, mac, mtu, addresses, gateways });
  } catch (e) {
    records.clearEndpoint(a.containerId, a.networkId);
    throw e;
  }
  return filled;
}

/**
 * A stopped container's endpoint, whose namespace is about to be unpinned: its veth goes with the
 * namespace, off the daemon's thread; its address is free again once the veth is gone.
 */
export function releaseEndpoint(records: NetworkRecords, a: Attachment, released: ReleasedEndpoints): void {
  records.clearEndpoint(a.containerId, a.networkId);
  const addresses = [a.ipv4, a.ipv6].filter((x): x is string => !!x);
  if (a.hostVeth) released.add(a.networkId, a.hostVeth, addresses);
}

/** Takes an endpoint down: its veth goes (and with it the inner end) and its address is free again. */
export function stopEndpoint(records: NetworkRecords, a: Attachment): void {
  if (a.hostVeth) {
    try {
      removeLink(a.hostVeth);
    } catch {
      // Gone with the container's namespace already: nothing left to remove.
    }
  }
  records.clearEndpoint(a.containerId, a.networkId);
}
