// Files the engine writes or measures for a container.
import { existsSync, readFileSync } from "node:fs";
import { hostsFile, resolvConf } from "../networks/etc-files.ts";
import { hostsEntry, resolveExtraHosts } from "../networks/links.ts";

/**
 * /etc/hosts and /etc/resolv.conf as dockerd writes them at create: the host's own under
 * --network host, otherwise localhost's names and the host's reachable resolvers (a bridge
 * network's start writes both again with the container's addresses). --add-host and --dns apply
 * either way; host-gateway is `gateway`.
 */
export function etcFilesAtCreate(hostname: string, hc: Record<string, any>, gateway: string | undefined): { hosts: string; resolvConf: string } {
  const extra = resolveExtraHosts(hc.ExtraHosts, gateway);
  if (hc.NetworkMode === "host") {
    const hosts = hostFile("/etc/hosts") ?? hostsFile(hostname, [], []);
    const lines = extra.map((h) => hostsEntry(h)).filter((e) => !!e).map((e) => `${e!.ip}\t${e!.names}\n`);
    return { hosts: (hosts.endsWith("\n") || !hosts ? hosts : `${hosts}\n`) + lines.join(""), resolvConf: hostFile("/etc/resolv.conf") ?? resolvConf({}) };
  }
  return { hosts: hostsFile(hostname, [], extra), resolvConf: resolvConf({ dns: hc.Dns, dnsSearch: hc.DnsSearch, dnsOptions: hc.DnsOptions }) };
}

function hostFile(path: string): string | undefined {
  try {
    return existsSync(path) ? readFileSync(path, "utf8") : undefined;
  } catch {
    // Unreadable: the container gets the defaults.
    return undefined;
  }
}

export { duBytes } from "../disk-usage.ts";
