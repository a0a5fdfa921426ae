// Which of a container's networks gives it its default route and carries its
// published ports, chosen as dockerd chooses its "gateway endpoint": never an
// --internal network (it has no gateway for containers, so a container on
// internal networks alone publishes nothing); first the endpoint with the
// highest gw-priority (API 1.48's GwPriority, 0 by default); then one with an
// IPv6 gateway as well as an IPv4 one; then by network name. Connecting or
// disconnecting a network can move it, and the ports follow.
import type { NetworkRecord } from "./records.ts";
import { poolsOf } from "./endpoints.ts";

/** What a network offers as a gateway: 1 for IPv4, 2 for IPv6, both added; 0 when internal. */
function gatewayRank(n: NetworkRecord): number {
  if (n.Internal || n.Driver !== "bridge") return 0;
  const pools = poolsOf(n);
  const v4 = pools.some((p) => p.family === 4 && p.gateway !== undefined) ? 1 : 0;
  const v6 = n.EnableIPv6 && pools.some((p) => p.family === 6 && p.gateway !== undefined) ? 2 : 0;
  return v4 + v6;
}

/** The network among `networks` that provides the gateway, or undefined when none does. */
export function gatewayNetwork(networks: NetworkRecord[], priorityOf: (n: NetworkRecord) => number = () => 0): NetworkRecord | undefined {
  const ranked = networks.filter((n) => gatewayRank(n) > 0);
  ranked.sort((a, b) => priorityOf(b) - priorityOf(a) || gatewayRank(b) - gatewayRank(a) || (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return ranked[0];
}
