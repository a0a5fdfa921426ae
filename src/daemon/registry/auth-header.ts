// X-Registry-Auth: the client's credentials for one registry, as base64url
// JSON (Docker's AuthConfig). The daemon never reads the user's config.json;
// whatever the request carries is what it may use.
import { InvalidParameterError } from "../../errors.ts";
import type { Credentials } from "../../registry/client/index.ts";

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** Decodes the header; an empty or "{}" header means anonymous. */
export function decodeAuthHeader(header: string | undefined | null): AuthConfig | undefined {
  if (!header || header.trim() === "") return undefined;
  let parsed: unknown;
  try {
    const text = Buffer.from(header.trim().replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidParameterError("invalid X-Registry-Auth header: it must be base64url-encoded JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidParameterError("invalid X-Registry-Auth header: it must be base64url-encoded JSON");
  }
  return normalizeAuthConfig(parsed as Record<string, unknown>);
}

/** Accepts Docker's field spellings (lower-case in the header, either case in /auth bodies). */
export function normalizeAuthConfig(raw: Record<string, unknown>): AuthConfig {
  const get = (k: string) => {
    const key = Object.keys(raw).find((x) => x.toLowerCase() === k);
    const v = key === undefined ? undefined : raw[key];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const out: AuthConfig = {
    username: get("username"), password: get("password"), auth: get("auth"), email: get("email"),
    serveraddress: get("serveraddress"), identitytoken: get("identitytoken"), registrytoken: get("registrytoken"),
  };
  // "auth" is base64 "user:pass", the config.json form.
  if (out.auth && !out.username) {
    const decoded = Buffer.from(out.auth, "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i > 0) {
      out.username = decoded.slice(0, i);
      out.password = decoded.slice(i + 1);
    }
  }
  return out;
}

export function credentialsOf(auth: AuthConfig | undefined): Credentials | undefined {
  if (!auth) return undefined;
  const c: Credentials = {};
  if (auth.username) c.username = auth.username;
  if (auth.password) c.password = auth.password;
  if (auth.identitytoken) c.identityToken = auth.identitytoken;
  if (auth.registrytoken) c.registryToken = auth.registrytoken;
  return Object.keys(c).length ? c : undefined;
}

/** The registry domain an /auth request names ("https://index.docker.io/v1/" → docker.io). */
export function loginDomain(serverAddress: string | undefined): string {
  const s = (serverAddress ?? "").trim();
  if (!s) return "docker.io";
  const host = s.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return ["index.docker.io", "registry-1.docker.io", "docker.io"].includes(host) ? "docker.io" : host;
}
