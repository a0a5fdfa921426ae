// Per-registry TLS material the way dockerd finds it: <dir>/<host[:port]>/
// holds CA certificates (*.crt) and a client certificate pair (*.cert with
// the *.key of the same name). A registry with its own CA works without
// trusting that CA for every other host.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface HostTls {
  ca?: string[];
  cert?: string;
  key?: string;
}

export function readHostTls(host: string, dirs: string[]): HostTls | undefined {
  // A host name with a path separator cannot name a folder safely.
  if (host.includes("/") || host.includes("\\") || host === "." || host === "..") return undefined;
  for (const base of dirs) {
    const dir = join(base, host);
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir).sort();
    const out: HostTls = {};
    const cas = files.filter((f) => f.endsWith(".crt")).map((f) => readFileSync(join(dir, f), "utf8"));
    if (cas.length) out.ca = cas;
    const cert = files.find((f) => f.endsWith(".cert"));
    if (cert) {
      const key = cert.replace(/\.cert$/, ".key");
      if (!files.includes(key)) throw new Error(`missing key ${key} for client certificate ${cert} in ${dir}`);
      out.cert = readFileSync(join(dir, cert), "utf8");
      out.key = readFileSync(join(dir, key), "utf8");
    }
    return out;
  }
  return undefined;
}
