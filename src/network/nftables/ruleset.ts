// berth's own nf_tables table, "berth" in the inet family, made whole from
// what should be true now: outbound masquerade for each bridge subnet, no
// forwarding from one bridge network to another (dockerd's isolation chains),
// DNAT of published ports to their containers, and no connection tracking of
// what one container sends another on its network. Every change replaces the
// table in one batch (add, delete, add again, then the chains and rules), so
// the kernel never holds a half-made table, a rebuild at daemon start drops
// stale rules, and a repeated call changes nothing.
import { ipBytes, type Family, type Prefix } from "../ip.ts";
import { NETLINK_NETFILTER, NetlinkSocket } from "../netlink/socket.ts";
import { address, dnat, dport, drop, iifname, isIPv4, isIPv6, jump, l4proto, masquerade, notrack, oifname, toLocalAddress } from "./expr.ts";
import { Batch, NFPROTO, type Expr } from "./wire.ts";

export const tableName = "berth";

const HOOK = { PREROUTING: 0, INPUT: 1, FORWARD: 2, OUTPUT: 3, POSTROUTING: 4 } as const;
const PRIORITY = { RAW: -300, DSTNAT: -100, FILTER: 0, SRCNAT: 100 } as const;
const portsChain = "published";

export interface BridgeNat {
  bridge: string;
  subnets: Prefix[];
  /** The bridge's own addresses on them (traffic to these is the host's, and stays tracked). */
  gateways?: { family: Family; value: bigint }[];
  /** Whether traffic from the subnet leaving through another interface takes this namespace's address. */
  masquerade: boolean;
  /** An --internal network: nothing is routed in or out, and the namespace's addresses outside the subnets are out of reach. */
  internal?: boolean;
}

export interface PortForward {
  bridge: string;
  proto: "tcp" | "udp";
  /** The host address the port is published on; undefined for all of them. */
  hostIp?: { family: Family; value: bigint };
  hostPort: number;
  target: { family: Family; value: bigint };
  targetPort: number;
}

export interface Ruleset {
  bridges: BridgeNat[];
  forwards: PortForward[];
}

const familyMatch = (f: Family) => (f === 4 ? isIPv4() : isIPv6());
const ipv6LinkScope: Prefix[] = [{ family: 6, base: 0xfe80n << 112n, bits: 10 }, { family: 6, base: 0xff00n << 112n, bits: 8 }];
const loopback: Record<Family, Prefix> = { 4: { family: 4, base: 0x7f000000n, bits: 8 }, 6: { family: 6, base: 1n, bits: 128 } };

/** The batch that makes the table hold exactly `r` (and nothing when `r` is undefined). */
export function rulesetBatch(r: Ruleset | undefined): Batch {
  const b = new Batch(NFPROTO.INET).addTable(tableName).deleteTable(tableName);
  if (!r) return b;
  const rule = (chain: string, ...parts: Expr[][]) => b.addRule(tableName, chain, parts.flat());
  b.addTable(tableName)
    .addChain(tableName, "postrouting", { type: "nat", hooknum: HOOK.POSTROUTING, priority: PRIORITY.SRCNAT })
    .addChain(tableName, "prerouting", { type: "nat", hooknum: HOOK.PREROUTING, priority: PRIORITY.DSTNAT })
    .addChain(tableName, "output", { type: "nat", hooknum: HOOK.OUTPUT, priority: PRIORITY.DSTNAT })
    .addChain(tableName, portsChain)
    .addChain(tableName, "forward", { type: "filter", hooknum: HOOK.FORWARD, priority: PRIORITY.FILTER })
    .addChain(tableName, "isolate")
    .addChain(tableName, "input", { type: "filter", hooknum: HOOK.INPUT, priority: PRIORITY.FILTER })
    .addChain(tableName, "untracked", { type: "filter", hooknum: HOOK.PREROUTING, priority: PRIORITY.RAW });

  // From one container to another of the same network (bridged, and with br_netfilter seen by
  // these hooks): berth never rewrites such a connection (a published port reached from its own
  // bridge goes through the proxy), so conntrack would only cost every packet a lookup and fill
  // its table. Traffic to the gateway, the host's, stays tracked: a DNAT'd reply may come that way.
  for (const br of r.bridges) {
    for (const s of br.subnets) {
      const f = s.family;
      const inSubnet = (which: "saddr" | "daddr") => address(which, ipBytes(f, s.base), s.bits);
      const notGateways = (br.gateways ?? []).filter((g) => g.family === f).map((g) => address("daddr", ipBytes(f, g.value), f === 4 ? 32 : 128, false));
      rule("untracked", iifname(br.bridge), familyMatch(f), inSubnet("saddr"), inSubnet("daddr"), ...notGateways, notrack());
    }
  }

  // Routed out of one bridge: dropped if it is into another.
  for (const br of r.bridges) {
    rule("forward", iifname(br.bridge), oifname(br.bridge, false), jump("isolate"));
    rule("isolate", oifname(br.bridge), drop());
  }
  // An internal network, as dockerd's isolation rules keep it: no packet routed in or out, and of
  // this namespace only the addresses on its own subnets (the gateway, with the embedded DNS).
  for (const br of r.bridges.filter((b) => b.internal)) {
    rule("forward", iifname(br.bridge), drop());
    rule("forward", oifname(br.bridge), drop());
    for (const f of [4, 6] as const) {
      // IPv6 neighbour discovery (link-local and multicast) stays, or the gateway could not be found.
      const own = [...br.subnets.filter((s) => s.family === f), ...(f === 6 ? ipv6LinkScope : [])];
      rule("input", iifname(br.bridge), familyMatch(f), ...own.map((s) => address("daddr", ipBytes(f, s.base), s.bits, false)), drop());
    }
  }

  for (const br of r.bridges) {
    if (!br.masquerade) continue;
    for (const s of br.subnets) {
      rule("postrouting", familyMatch(s.family), address("saddr", ipBytes(s.family, s.base), s.bits), oifname(br.bridge, false), masquerade());
    }
  }
  // To an address of this namespace, from outside or from a local program; loopback is
  // left to the userland proxy (as dockerd leaves it to docker-proxy), since DNAT of
  // 127.0.0.1 would need route_localnet.
  rule("prerouting", toLocalAddress(), jump(portsChain));
  for (const f of [4, 6] as const) {
    rule("output", familyMatch(f), address("daddr", ipBytes(f, loopback[f].base), loopback[f].bits, false), toLocalAddress(), jump(portsChain));
  }
  for (const p of r.forwards) {
    const family = p.target.family;
    if (p.hostIp && p.hostIp.family !== family) continue;
    // Containers of the same bridge reaching a host port go through the proxy, as with dockerd's `! -i docker0`.
    rule(
      portsChain, familyMatch(family), p.hostIp ? address("daddr", ipBytes(family, p.hostIp.value), family === 4 ? 32 : 128) : [],
      iifname(p.bridge, false), l4proto(p.proto), dport(p.hostPort), dnat(ipBytes(family, p.target.value), p.targetPort),
    );
  }
  return b;
}

/** Replaces berth's table in the namespace of the calling thread (undefined: removes it). */
export function applyRuleset(r: Ruleset | undefined): void {
  const sock = NetlinkSocket.open(undefined, NETLINK_NETFILTER);
  try {
    sock.sendBatch(rulesetBatch(r).frame(), `replace nf_tables table ${tableName}`);
  } finally {
    sock.close();
  }
}
