// The config hash compose stores in com.docker.compose.config-hash: a digest of
// the service's resolved model without what may change without recreating
// its containers (the build, the replica count, dependencies, profiles).
import type { Service } from "./types.ts";

function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, stable((v as Record<string, unknown>)[k])]));
  return v;
}

export function serviceHash(s: Service): string {
  const { build: _b, pull_policy: _p, scale: _s, depends_on: _d, profiles: _pr, ...rest } = s;
  if (rest.deploy) {
    const { replicas: _r, ...deploy } = rest.deploy;
    rest.deploy = deploy;
  }
  return new Bun.CryptoHasher("sha256").update(JSON.stringify(stable(rest))).digest("hex");
}
