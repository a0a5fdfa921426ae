// A bridge network's links: the bridge with its gateway address in the
// daemon's namespace, and per container a veth pair whose inner end is made
// directly inside the container's namespace (so it never shows up here).
import { closeSync, openSync } from "node:fs";
import { Rtnl, rtnlRequests } from "./netlink/rtnl.ts";
import type { Family } from "./ip.ts";

export interface BridgeSpec {
  name: string;
  /** Gateway addresses with their prefix lengths; none for a network without a gateway. */
  addresses: { family: Family; value: bigint; bits: number }[];
  mtu?: number;
}

function withRtnl<T>(nsPath: string | undefined, fn: (r: Rtnl) => T): T {
  const r = Rtnl.open(nsPath);
  try {
    return fn(r);
  } finally {
    r.close();
  }
}

/** Makes the bridge (or takes the one there), gives it its addresses and brings it up. */
export function ensureBridge(b: BridgeSpec): void {
  withRtnl(undefined, (r) => {
    // A MAC of its own, as dockerd gives docker0: otherwise the bridge takes its lowest port's,
    // which changes as containers come and go, and their neighbour entries for the gateway go stale.
    if (!r.link(b.name)) r.createBridge(b.name, { mtu: b.mtu, mac: randomMac() });
    const link = r.link(b.name)!;
    const have = r.addresses().filter((a) => a.index === link.index);
    for (const a of b.addresses) {
      if (!have.some((h) => h.family === a.family && h.value === a.value)) r.addAddress(link.index, a.family, a.value, a.bits);
    }
    if (!link.up) r.setUp(link.index);
  });
}

/** A random locally administered unicast MAC. */
export function randomMac(): string {
  const b = crypto.getRandomValues(new Uint8Array(6));
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

export function removeLink(name: string): void {
  withRtnl(undefined, (r) => {
    const l = r.link(name);
    if (l) r.deleteLink(l.index);
  });
}

/** The names of the links in the daemon's namespace (one dump). */
export function hostLinkNames(): Set<string> {
  return withRtnl(undefined, (r) => new Set(r.links().map((l) => l.name)));
}

export function linkExists(name: string): boolean {
  return withRtnl(undefined, (r) => r.link(name) !== undefined);
}

/** The IPv4 addresses an existing link carries, with their prefix lengths (none when it does not exist). */
export function linkAddresses(name: string): { value: bigint; bits: number }[] {
  return withRtnl(undefined, (r) => {
    const l = r.link(name);
    return l ? r.addresses(4).filter((a) => a.index === l.index).map((a) => ({ value: a.value, bits: a.bits })) : [];
  });
}

/** lo is the first link of every network namespace. */
const loopbackIndex = 1;

export interface EndpointSpec {
  bridge: string;
  /** The container's network namespace (a pinned nsfs file or /proc/PID/ns/net). */
  nsPath: string;
  hostVeth: string;
  /** The interface's name inside: eth0, eth1… */
  ifname: string;
  mac: string;
  mtu?: number;
  addresses: { family: Family; value: bigint; bits: number }[];
  /** Default routes through these gateways (of the network that gives the container its gateway only). */
  gateways: { family: Family; value: bigint }[];
}

/**
 * Plugs a container into a bridge; undone whole if a step fails. The host's end is made up on the
 * bridge in one request; inside, lo and the link go up and get their addresses and routes in one batch.
 */
export function plugEndpoint(e: EndpointSpec): void {
  withRtnl(undefined, (host) => {
    const br = host.link(e.bridge);
    if (!br) throw new Error(`bridge ${e.bridge} is gone`);
    const fd = openSync(e.nsPath, "r");
    try {
      host.createVeth(e.hostVeth, { name: e.ifname, netnsFd: fd, mac: e.mac }, { mtu: e.mtu, master: br.index, up: true });
    } finally {
      closeSync(fd);
    }
    try {
      withRtnl(e.nsPath, (ns) => {
        const eth = ns.link(e.ifname)!;
        ns.batch([
          rtnlRequests.up(loopbackIndex),
          rtnlRequests.up(eth.index),
          ...e.addresses.map((a) => rtnlRequests.address(eth.index, a.family, a.value, a.bits)),
          ...e.gateways.map((g) => rtnlRequests.route({ family: g.family, gateway: g.value })),
        ]);
      });
    } catch (err) {
      const veth = host.link(e.hostVeth);
      if (veth) host.deleteLink(veth.index);
      throw err;
    }
  });
}

/**
 * Makes `gateways` the default routes of the namespace at `nsPath` (none: no default route), as
 * when the network that gives a container its gateway changes.
 */
export function setDefaultRoutes(nsPath: string, gateways: { family: Family; value: bigint }[]): void {
  withRtnl(nsPath, (ns) => {
    for (const f of [4, 6] as Family[]) {
      for (const r of ns.routes(f)) {
        if (r.bits !== 0 || r.table !== 254 || r.gateway === undefined) continue;
        if (gateways.some((g) => g.family === f && g.value === r.gateway)) continue;
        ns.deleteDefaultRoute(f, r.gateway);
      }
      const have = ns.routes(f).filter((r) => r.bits === 0 && r.table === 254 && r.gateway !== undefined);
      for (const g of gateways) if (g.family === f && !have.some((r) => r.gateway === g.value)) ns.addRoute({ family: f, gateway: g.value });
    }
  });
}

/** The first of eth0, eth1… that the namespace at `nsPath` does not have. */
export function freeIfname(nsPath: string): string {
  return withRtnl(nsPath, (ns) => {
    const names = new Set(ns.links().map((l) => l.name));
    let i = 0;
    while (names.has(`eth${i}`)) i++;
    return `eth${i}`;
  });
}

/** Brings up lo in a namespace with no other link (`--network none` gets one too). */
export function loopbackUp(nsPath: string): void {
  withRtnl(nsPath, (ns) => {
    const lo = ns.link("lo");
    if (lo && !lo.up) ns.setUp(lo.index);
  });
}

/** The IPv4 and IPv6 prefixes routed in the daemon's namespace (other than default routes): subnets there are taken. */
export function routedPrefixes(): { family: Family; base: bigint; bits: number }[] {
  return withRtnl(undefined, (r) =>
    ([4, 6] as Family[]).flatMap((f) => r.routes(f).filter((x) => x.bits > 0 && x.table === 254).map((x) => ({ family: f, base: x.dst, bits: x.bits }))),
  );
}
