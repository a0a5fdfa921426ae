// /etc/hosts and /etc/resolv.conf of a container on bridge networks, written
// as dockerd writes them.
import { existsSync, readFileSync } from "node:fs";

export function hostsFile(hostname: string, addresses: string[], extra: string[]): string {
  const lines = [
    "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
    "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters",
  ];
  for (const h of extra) {
    // name:ip, where only the address may hold more colons (IPv6)
    const i = h.indexOf(":");
    if (i > 0) lines.push(`${h.slice(i + 1)}\t${h.slice(0, i)}`);
  }
  for (const a of addresses) lines.push(`${a}\t${hostname}`);
  return lines.join("\n") + "\n";
}

interface ResolvOptions {
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

function hostResolv(): { nameservers: string[]; search: string[]; options: string[] } {
  let text = "";
  try {
    if (existsSync("/etc/resolv.conf")) text = readFileSync("/etc/resolv.conf", "utf8");
  } catch {
    // Unreadable: the container gets the default resolvers below.
  }
  const out = { nameservers: [] as string[], search: [] as string[], options: [] as string[] };
  for (const line of text.split("\n")) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === "nameserver" && rest[0]) out.nameservers.push(rest[0]);
    else if (key === "search" || key === "domain") out.search = rest;
    else if (key === "options") out.options.push(...rest);
  }
  return out;
}

/** The host's resolvers that a container can reach: loopback ones are the host's own, not the container's. */
export function hostNameservers(): string[] {
  return hostResolv().nameservers.filter((n) => !/^127\./.test(n) && n !== "::1");
}

/**
 * `embedded`: the address of the daemon's DNS server for this container (user
 * networks), which forwards what it does not know to the host's resolvers.
 * Otherwise the host's reachable resolvers, or Google's when none is left (as dockerd does).
 */
export function resolvConf(o: ResolvOptions, embedded?: string): string {
  const host = hostResolv();
  let servers: string[];
  if (embedded) servers = [embedded];
  else if (o.dns?.length) servers = o.dns;
  else {
    servers = hostNameservers();
    if (!servers.length) servers = ["8.8.8.8", "8.8.4.4"];
  }
  const search = o.dnsSearch?.length ? o.dnsSearch : host.search;
  const options = o.dnsOptions?.length ? o.dnsOptions : host.options;
  const lines = servers.map((s) => `nameserver ${s}`);
  if (search.length && !(search.length === 1 && search[0] === ".")) lines.push(`search ${search.join(" ")}`);
  const opts = embedded && !options.some((x) => x.startsWith("ndots:")) ? [...options, "ndots:0"] : options;
  if (opts.length) lines.push(`options ${opts.join(" ")}`);
  return lines.join("\n") + "\n";
}
