// The network flags of `run` and `create`, and the part of the create body
// they make (HostConfig's DNS and extra hosts, NetworkingConfig's endpoint).
import type { FlagSpec } from "../flags.ts";
import { UsageError } from "../flags.ts";
import { portConfig } from "../../shared/port-spec.ts";

export const networkFlags: FlagSpec[] = [
  { name: "ip", type: "string", help: "IPv4 address (e.g., 172.30.100.104)" },
  { name: "ip6", type: "string", help: "IPv6 address (e.g., 2001:db8::33)" },
  { name: "network-alias", type: "list", help: "Add network-scoped alias for the container" },
  { name: "mac-address", type: "string", help: "Container MAC address (e.g., 92:d0:c6:0a:29:33)" },
  { name: "dns", type: "list", help: "Set custom DNS servers" },
  { name: "dns-search", type: "list", help: "Set custom DNS search domains" },
  { name: "dns-option", type: "list", help: "Set DNS options" },
  { name: "add-host", type: "list", help: "Add a custom host-to-IP mapping (host:ip)" },
  { name: "link", type: "list", help: "Add link to another container" },
  { name: "publish", short: "p", type: "list", help: "Publish a container's port(s) to the host" },
  { name: "publish-all", short: "P", type: "bool", help: "Publish all exposed ports to random ports" },
  { name: "expose", type: "list", help: "Expose a port or a range of ports" },
];

function ports(f: Record<string, any>): ReturnType<typeof portConfig> {
  try {
    return portConfig(f.publish, f.expose);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** ExposedPorts for the create body: --expose and the ports -p publishes. */
export function exposedPorts(f: Record<string, any>): Record<string, object> | undefined {
  const { exposed } = ports(f);
  return Object.keys(exposed).length ? exposed : undefined;
}

export function networkHostConfig(f: Record<string, any>): Record<string, unknown> {
  for (const h of f["add-host"] as string[]) {
    const i = h.search(/[:=]/);
    if (i < 1 || i === h.length - 1) throw new UsageError(`invalid argument "${h}" for "--add-host" flag: bad format for add-host: "${h}"`);
  }
  const bindings = ports(f).bindings;
  return {
    PortBindings: Object.keys(bindings).length ? bindings : {},
    PublishAllPorts: !!f["publish-all"],
    Dns: f.dns.length ? f.dns : [],
    DnsSearch: f["dns-search"].length ? f["dns-search"] : [],
    DnsOptions: f["dns-option"].length ? f["dns-option"] : [],
    ExtraHosts: f["add-host"].length ? (f["add-host"] as string[]).map((h) => h.replace("=", ":")) : null,
    Links: f.link.length ? f.link : null,
  };
}

/** The networks --network (or --net) names, in order: the first is the network mode. */
export function networkNames(f: Record<string, any>): string[] {
  return [...(f.network as string[]), ...(f.net as string[])];
}

/**
 * NetworkingConfig for the networks named by --network: the endpoint flags (--ip, --ip6,
 * --network-alias, --mac-address) belong to the first, as with the docker CLI, and each
 * other one gets an endpoint of its own.
 */
export function networkingConfig(f: Record<string, any>): Record<string, unknown> | undefined {
  const names = networkNames(f);
  const aliases: string[] = f["network-alias"];
  const ipam = f.ip || f.ip6 ? { IPv4Address: f.ip || undefined, IPv6Address: f.ip6 || undefined } : undefined;
  const builtin = (n: string) => ["default", "bridge", "host", "none"].includes(n) || n.startsWith("container:");
  if (names.length > 1 && names.some(builtin) && !names.every(builtin)) {
    throw new UsageError("conflicting options: cannot attach both user-defined and non-user-defined network-modes");
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`network "${dup}" is specified multiple times`);
  if (names.length <= 1 && !aliases.length && !ipam && !f["mac-address"]) return undefined;
  const first = !names[0] || names[0] === "default" ? "bridge" : names[0];
  const endpoints: Record<string, unknown> = { [first]: { Aliases: aliases.length ? aliases : undefined, IPAMConfig: ipam, MacAddress: f["mac-address"] || undefined } };
  for (const n of names.slice(1)) endpoints[n] = {};
  return { EndpointsConfig: endpoints };
}
