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

/** A string as Go's encoding/json writes it: JSON with <, >, &, U+2028 and U+2029 escaped. */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function goJsonMap(m: Record<string, unknown>): string {
  return `{${Object.keys(m).sort().map((k) => `${goJsonString(k)}:${goJsonString(String(m[k] ?? ""))}`).join(",")}}`;
}

/**
 * The config hash compose writes on a project's volume: the SHA-256 of the volume's name, driver ("local" when
 * unset), driver_opts, external and labels as Go marshals compose-go's VolumeConfig (empty fields left out, map
 * keys sorted), so that a volume docker compose made and one berth made are judged alike.
 */
export function volumeHash(v: { name?: string; driver?: string; driver_opts?: Record<string, unknown>; external?: boolean; labels?: Record<string, unknown> }): string {
  const fields: string[] = [];
  if (v.name) fields.push(`"name":${goJsonString(v.name)}`);
  fields.push(`"driver":${goJsonString(v.driver || "local")}`);
  if (v.driver_opts && Object.keys(v.driver_opts).length) fields.push(`"driver_opts":${goJsonMap(v.driver_opts)}`);
  if (v.external) fields.push(`"external":true`);
  if (v.labels && Object.keys(v.labels).length) fields.push(`"labels":${goJsonMap(v.labels)}`);
  return new Bun.CryptoHasher("sha256").update(`{${fields.join(",")}}`).digest("hex");
}
