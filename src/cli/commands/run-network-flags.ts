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
  { name: "link-local-ip", type: "list", help: "Container IPv4/IPv6 link-local addresses" },
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

/** One --network value: a name, or the long form name=…,alias=…,ip=…,ip6=…,mac-address=…,link-local-ip=…,driver-opt=k=v,gw-priority=N. */
export interface NetworkAttachment {
  name: string;
  aliases: string[];
  ipv4?: string;
  ipv6?: string;
  mac?: string;
  linkLocalIPs: string[];
  driverOpts?: Record<string, string>;
  gwPriority?: number;
}

/** Comma-separated fields, a field in double quotes may hold commas (the docker CLI reads them as CSV). */
function csvFields(value: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '"' && quoted && value[i + 1] === '"') {
      cur += '"';
      i++;
    } else if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (quoted) throw new UsageError(`invalid argument "${value}" for "--network" flag: parse error on line 1, column ${value.length + 1}: extraneous or missing " in quoted-field`);
  out.push(cur);
  return out;
}

/** Parses one --network value; the long form is told by a word=word in it, as the docker CLI tells it. */
export function parseNetworkAttachment(value: string): NetworkAttachment {
  const a: NetworkAttachment = { name: value, aliases: [], linkLocalIPs: [] };
  if (!/\w+=\w+/.test(value)) return a;
  a.name = "";
  const bad = (why: string) => new UsageError(`invalid argument "${value}" for "--network" flag: ${why}`);
  for (const field of csvFields(value)) {
    // Keys and values are read lower-cased, as the docker CLI reads them.
    const lower = field.toLowerCase();
    const i = lower.indexOf("=");
    const key = i < 0 ? "" : lower.slice(0, i).trim();
    if (!key) throw bad(`invalid field ${field}`);
    const val = lower.slice(i + 1).trim();
    switch (key) {
      case "name": a.name = val; break;
      case "alias": a.aliases.push(val); break;
      case "ip": a.ipv4 = val; break;
      case "ip6": a.ipv6 = val; break;
      case "mac-address": a.mac = val; break;
      case "link-local-ip": a.linkLocalIPs.push(val); break;
      case "driver-opt": {
        const j = val.indexOf("=");
        if (j < 1 || !val.slice(0, j).trim()) throw bad("invalid key value pair format in driver options");
        a.driverOpts = { ...a.driverOpts, [val.slice(0, j).trim()]: val.slice(j + 1).trim() };
        break;
      }
      case "gw-priority": {
        if (!/^[+-]?\d+$/.test(val)) throw bad(`invalid gw-priority: ${val}`);
        a.gwPriority = Number(val);
        break;
      }
      default: throw bad(`invalid field key ${key}`);
    }
  }
  if (!a.name) throw bad("network name/id is not specified");
  return a;
}

/** The networks --network (or --net) attach, in order: the first is the network mode. */
export function networkAttachments(f: Record<string, any>): NetworkAttachment[] {
  return [...(f.network as string[]), ...(f.net as string[])].map(parseNetworkAttachment);
}

/** The networks --network (or --net) names, in order: the first is the network mode. */
export function networkNames(f: Record<string, any>): string[] {
  return networkAttachments(f).map((a) => a.name);
}

/** The first network's endpoint takes --ip, --ip6, --network-alias, --mac-address and --link-local-ip, but not twice over (the docker CLI's words). */
function withLegacyFlags(a: NetworkAttachment, f: Record<string, any>): NetworkAttachment {
  const both = (flag: string, what: string) => new UsageError(`conflicting options: cannot specify both --${flag} and per-network ${what}`);
  const aliases: string[] = f["network-alias"];
  if (a.aliases.length && aliases.length) throw both("network-alias", "alias");
  if (a.ipv4 && f.ip) throw both("ip", "IPv4 address");
  if (a.ipv6 && f.ip6) throw both("ip6", "IPv6 address");
  if (a.mac && f["mac-address"]) throw both("mac-address", "MAC address");
  const linkLocal = ipList("link-local-ip", f["link-local-ip"] ?? []);
  if (a.linkLocalIPs.length && linkLocal.length) throw both("link-local-ip", "link-local IP addresses");
  return {
    ...a, aliases: a.aliases.length ? a.aliases : aliases, ipv4: a.ipv4 || f.ip || undefined, ipv6: a.ipv6 || f.ip6 || undefined, mac: a.mac || f["mac-address"] || undefined,
    linkLocalIPs: a.linkLocalIPs.length ? a.linkLocalIPs : linkLocal,
  };
}

/** An IP list flag's values as pflag takes them (comma-separated, each an address), without loading node:net at run's start. */
export function ipList(flag: string, values: string[]): string[] {
  const isIP = (s: string) => {
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (v4) return v4.slice(1).every((n) => Number(n) <= 255);
    return s.includes(":") && URL.canParse(`http://[${s}]/`);
  };
  return values.flatMap((v) =>
    v.split(",").map((s) => {
      if (!isIP(s.trim())) throw new UsageError(`invalid argument "${v}" for "--${flag}" flag: invalid string being converted to IP address: ${s}`);
      return s.trim();
    }),
  );
}

function endpointOf(a: NetworkAttachment): Record<string, unknown> {
  const ipam = a.ipv4 || a.ipv6 || a.linkLocalIPs.length ? { IPv4Address: a.ipv4, IPv6Address: a.ipv6, LinkLocalIPs: a.linkLocalIPs.length ? a.linkLocalIPs : undefined } : undefined;
  return { Aliases: a.aliases.length ? a.aliases : undefined, IPAMConfig: ipam, MacAddress: a.mac, DriverOpts: a.driverOpts, GwPriority: a.gwPriority };
}

const isPlain = (a: NetworkAttachment) => !a.aliases.length && !a.ipv4 && !a.ipv6 && !a.mac && !a.linkLocalIPs.length && !a.driverOpts && a.gwPriority === undefined;

/**
 * NetworkingConfig for the networks named by --network: the endpoint flags (--ip, --ip6,
 * --network-alias, --mac-address) belong to the first, as with the docker CLI, and each
 * network's long form gives its own endpoint's settings.
 */
export function networkingConfig(f: Record<string, any>): Record<string, unknown> | undefined {
  const attachments = networkAttachments(f);
  const names = attachments.map((a) => a.name);
  const builtin = (n: string) => ["default", "bridge", "host", "none"].includes(n) || n.startsWith("container:");
  if (names.length > 1 && names.some(builtin) && !names.every(builtin)) {
    throw new UsageError("conflicting options: cannot attach both user-defined and non-user-defined network-modes");
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`network "${dup}" is specified multiple times`);
  const first = withLegacyFlags(attachments[0] ?? { name: "default", aliases: [], linkLocalIPs: [] }, f);
  if (attachments.length <= 1 && isPlain(first)) return undefined;
  const key = (name: string) => (!name || name === "default" ? "bridge" : name);
  const endpoints: Record<string, unknown> = { [key(first.name)]: endpointOf(first) };
  for (const a of attachments.slice(1)) endpoints[a.name] = endpointOf(a);
  return { EndpointsConfig: endpoints };
}
