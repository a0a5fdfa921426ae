// Where a registry domain is reached: docker.io → registry-1.docker.io (after
// its mirrors, for pulls); plain HTTP or unverified TLS only for loopback and
// --insecure-registry entries (CIDRs, host or host:port), as dockerd decides.
import { nodeNet } from "../../builtins.ts";

export interface Endpoint {
  /** The reference's domain: "docker.io", "localhost:5000". */
  domain: string;
  /** host[:port] to connect to. */
  host: string;
  /** A scheme fixed by configuration (mirror URLs); otherwise decided per host. */
  scheme?: "https" | "http";
  /** Plain HTTP, or HTTPS without certificate checks, is allowed. */
  insecure: boolean;
  mirror: boolean;
}

export interface EndpointConfig {
  insecureRegistries?: string[];
  /** Mirrors of docker.io, as URLs ("https://mirror.example.com"). */
  mirrors?: string[];
}

export const DOCKER_HUB_HOST = "registry-1.docker.io";

function hostname(hostport: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostport);
  if (m) return m[1]!;
  const i = hostport.lastIndexOf(":");
  return i > 0 && hostport.indexOf(":") === i ? hostport.slice(0, i) : hostport;
}

export function isLoopbackHost(hostport: string): boolean {
  const h = hostname(hostport).toLowerCase();
  return h === "localhost" || h === "::1" || (nodeNet().isIP(h) === 4 && h.startsWith("127."));
}

export function isInsecureRegistry(hostport: string, insecure: string[] = []): boolean {
  if (isLoopbackHost(hostport)) return true;
  const h = hostname(hostport);
  for (const entry of insecure) {
    const e = entry.replace(/^https?:\/\//, "").replace(/\/$/, "");
    const cidr = /^([0-9a-fA-F.:]+)\/(\d{1,3})$/.exec(e);
    if (cidr) {
      const family = nodeNet().isIP(cidr[1]!);
      if (family === 0 || nodeNet().isIP(h) !== family) continue;
      const list = new (nodeNet().BlockList)();
      try {
        list.addSubnet(cidr[1]!, Number(cidr[2]), family === 4 ? "ipv4" : "ipv6");
      } catch {
        continue;
      }
      if (list.check(h, family === 4 ? "ipv4" : "ipv6")) return true;
    } else if (e === hostport || e === h) {
      return true;
    }
  }
  return false;
}

/** Endpoints to try in order. Mirrors serve pulls of docker.io only. */
export function endpointsFor(domain: string, cfg: EndpointConfig, purpose: "pull" | "push"): Endpoint[] {
  const out: Endpoint[] = [];
  const isHub = domain === "docker.io";
  if (isHub && purpose === "pull") {
    for (const m of cfg.mirrors ?? []) {
      const u = new URL(m.includes("://") ? m : `https://${m}`);
      const scheme = u.protocol === "http:" ? "http" : "https";
      out.push({ domain, host: u.host, scheme, insecure: isInsecureRegistry(u.host, cfg.insecureRegistries), mirror: true });
    }
  }
  const host = isHub ? DOCKER_HUB_HOST : domain;
  out.push({ domain, host, insecure: isInsecureRegistry(host, cfg.insecureRegistries), mirror: false });
  return out;
}
