// What berth's nf_tables table should hold, read from the store: each bridge
// network's subnets (masqueraded unless the network is internal or asks not
// to be) and each published port of a running container, towards the
// address of its first network.
import { parseIP, type Family } from "../../network/ip.ts";
import type { PortForward, Ruleset } from "../../network/nftables/ruleset.ts";
import { bridgeOf } from "./create.ts";
import { poolsOf } from "./endpoints.ts";
import type { Published } from "./ports.ts";
import type { NetworkRecord, NetworkRecords } from "./records.ts";

const masqueradeOption = "com.docker.network.bridge.enable_ip_masquerade";

export function firewallRules(networks: NetworkRecord[], records: NetworkRecords, published: (Published & { containerId: string })[]): Ruleset {
  const bridges = networks
    .filter((n) => n.Driver === "bridge")
    .map((n) => ({ bridge: bridgeOf(n), subnets: poolsOf(n).map((p) => p.subnet), masquerade: !n.Internal && n.Options[masqueradeOption] !== "false", internal: n.Internal }));
  const forwards: PortForward[] = [];
  for (const p of published) {
    const primary = records.attachmentsOf(p.containerId).find((a) => a.endpointId && a.ipv4);
    const n = primary && networks.find((x) => x.Id === primary.networkId);
    if (!primary || !n) continue;
    const [port, proto] = p.port.split("/");
    const hostIp = p.hostIp === "0.0.0.0" || p.hostIp === "" ? undefined : parseIP(p.hostIp);
    if (proto !== "tcp" && proto !== "udp") continue;
    // Loopback is the proxy's (DNAT of 127.0.0.1 would need route_localnet), and so is an IPv6 host address towards an IPv4 container.
    if (hostIp && (hostIp.family !== 4 || hostIp.value >> 24n === 127n)) continue;
    forwards.push({ bridge: bridgeOf(n), proto, hostIp: hostIp as { family: Family; value: bigint } | undefined, hostPort: p.hostPort, target: parseIP(primary.ipv4!)!, targetPort: Number(port) });
  }
  return { bridges, forwards };
}
