// Merging compose files (and an extended service under its extender) as the
// Compose Specification says: mappings merge key by key, sequences append,
// command, entrypoint and healthcheck.test are replaced, and ports, volumes,
// secrets and configs are unique by their key, a later entry replacing an
// earlier one with the same key.
import type { PortConfig, Service } from "./types.ts";

type Raw = Record<string, any>;

const replaced = new Set(["command", "entrypoint", "test"]);

const uniqueBy: Record<string, (x: any) => string> = {
  ports: (p: PortConfig) => `${p.host_ip ?? ""}|${p.target}|${p.published ?? ""}|${p.protocol}`,
  volumes: (v: { target: string }) => v.target,
  secrets: (s: { source: string; target?: string }) => s.target ?? s.source,
  configs: (s: { source: string; target?: string }) => s.target ?? s.source,
};

function isMap(v: unknown): v is Raw {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

function mergeValue(key: string, base: unknown, over: unknown, top: boolean): unknown {
  if (over === undefined) return base;
  if (base === undefined || over === null || replaced.has(key)) return over;
  if (Array.isArray(base) && Array.isArray(over)) {
    const keyOf = top ? uniqueBy[key] : undefined;
    if (!keyOf) return [...base, ...over.filter((x) => !base.some((b) => JSON.stringify(b) === JSON.stringify(x)))];
    const byKey = new Map(base.map((x) => [keyOf(x), x]));
    for (const x of over) byKey.set(keyOf(x), isMap(byKey.get(keyOf(x))) && isMap(x) ? mergeMaps(byKey.get(keyOf(x)), x, false) : x);
    return [...byKey.values()];
  }
  if (isMap(base) && isMap(over)) return mergeMaps(base, over, false);
  return over;
}

function mergeMaps(base: Raw, over: Raw, top: boolean): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeValue(k, base[k], v, top);
  return out;
}

/** `over` laid onto `base`: the later file's service onto the earlier one's. */
export function mergeService(base: Service, over: Service): Service {
  return mergeMaps(base, over, true) as Service;
}

export interface Model {
  name?: string;
  services: Record<string, Service>;
  networks: Record<string, Raw>;
  volumes: Record<string, Raw>;
  secrets: Record<string, Raw>;
  configs: Record<string, Raw>;
}

export function mergeModels(base: Model, over: Model): Model {
  const services = { ...base.services };
  for (const [k, s] of Object.entries(over.services)) services[k] = services[k] ? mergeService(services[k]!, s) : s;
  const section = (a: Record<string, Raw>, b: Record<string, Raw>) => {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = out[k] ? mergeMaps(out[k]!, v, false) : v;
    return out;
  };
  return {
    name: over.name ?? base.name,
    services,
    networks: section(base.networks, over.networks),
    volumes: section(base.volumes, over.volumes),
    secrets: section(base.secrets, over.secrets),
    configs: section(base.configs, over.configs),
  };
}
