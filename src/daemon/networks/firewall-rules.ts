// What berth's nf_tables table should hold, read from the store: each bridge
// network's subnets (masqueraded unless the network is internal or asks not
// to be) and each published port of a running container, towards its address
// on the network that gives it its gateway: IPv4 host addresses to its IPv4
// address, IPv6 ones to its IPv6 address (a container without one is reached
// from IPv6 through the userland proxy alone, as with docker-proxy).
import { parseIP, type Family } from "../../network/ip.ts";
import type { PortForward, Ruleset } from "../../network/nftables/ruleset.ts";
import { bridgeOf } from "./create.ts";
import { poolsOf } from "./endpoints.ts";
import type { Published } from "./ports.ts";
import type { NetworkRecord } from "./records.ts";

const masqueradeOption = "com.docker.network.bridge.enable_ip_masquerade";

/** A container's ports' destination: the bridge of its gateway network and its addresses there. */
export interface ForwardTarget {
  bridge: string;
  v4?: string;
  v6?: string;
}

export function firewallRules(networks: NetworkRecord[], targetOf: (containerId: string) => ForwardTarget | undefined, published: (Published & { containerId: string })[]): Ruleset {
  const bridges = networks
    .filter((n) => n.Driver === "bridge")
    .map((n) => ({
      bridge: bridgeOf(n),
      subnets: poolsOf(n).map((p) => p.subnet),
      gateways: poolsOf(n).flatMap((p) => (p.gateway === undefined ? [] : [{ family: p.family, value: p.gateway }])),
      masquerade: !n.Internal && n.Options[masqueradeOption] !== "false",
      internal: n.Internal,
    }));
  const forwards: PortForward[] = [];
  for (const p of published) {
    const t = targetOf(p.containerId);
    const [port, proto] = p.port.split("/");
    if (!t || (proto !== "tcp" && proto !== "udp")) continue;
    const any = p.hostIp === "0.0.0.0" || p.hostIp === "::" || p.hostIp === "";
    const hostIp = any ? undefined : parseIP(p.hostIp);
    const family: Family = p.hostIp.includes(":") ? 6 : 4;
    const target = family === 4 ? t.v4 : t.v6;
    // Loopback is the proxy's (DNAT of 127.0.0.1 would need route_localnet), and so is an IPv6 host address towards an IPv4-only container.
    if (!target || (hostIp && (family === 4 ? hostIp.value >> 24n === 127n : hostIp.value === 1n))) continue;
    forwards.push({ bridge: t.bridge, proto, hostIp, hostPort: p.hostPort, target: parseIP(target)!, targetPort: Number(port) });
  }
  return { bridges, forwards };
}
