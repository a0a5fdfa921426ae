// Registry errors with Docker's wording. A registry's error body
// {"errors":[{code,message}]} reads as "manifest unknown: manifest unknown";
// auth failures carry the request, as Go's url.Error prints them:
// `Get "https://host/v2/": unauthorized: authentication required`.
import { BerthError } from "../../errors.ts";
import { familiarRepository, familiarString, type Reference } from "../../image/reference.ts";
import { parseChallenges } from "./challenge.ts";

const DEFAULT_MESSAGES: Record<string, string> = {
  UNAUTHORIZED: "authentication required",
  DENIED: "requested access to the resource is denied",
  MANIFEST_UNKNOWN: "manifest unknown",
  NAME_UNKNOWN: "repository name not known to registry",
  BLOB_UNKNOWN: "blob unknown to registry",
  TOOMANYREQUESTS: "too many requests",
};

const STATUS_FOR_CODE: Record<string, number> = { UNAUTHORIZED: 401, DENIED: 404, MANIFEST_UNKNOWN: 404, NAME_UNKNOWN: 404, BLOB_UNKNOWN: 404 };

export class RegistryError extends BerthError {
  constructor(
    message: string,
    /** The registry's error code (MANIFEST_UNKNOWN, DENIED, …), if it sent one. */
    readonly code: string | undefined,
    /** HTTP status of the registry's reply (0 for transport errors). */
    readonly httpStatus: number,
    /** "manifest unknown: manifest unknown" — the registry's words without request context. */
    readonly reason: string = message,
    engineStatus?: number,
  ) {
    super(message, engineStatus ?? (code ? STATUS_FOR_CODE[code] ?? 500 : httpStatus === 404 ? 404 : 500));
  }

  /** Set for transport failures that a retry cannot cure (an untrusted certificate). */
  permanent = false;

  /** Transient: worth retrying (5xx, 429, transport failures). */
  get transient(): boolean {
    if (this.permanent) return false;
    return this.httpStatus === 0 || this.httpStatus === 429 || this.httpStatus >= 500;
  }
}

/** "MANIFEST_UNKNOWN" → "manifest unknown", as Go's errcode prints codes. */
function codeText(code: string): string {
  return code.toLowerCase().replace(/_/g, " ");
}

export function requestPrefix(method: string, url: string): string {
  const m = method.charAt(0) + method.slice(1).toLowerCase();
  return `${m} "${url}"`;
}

/** Builds the error for a non-2xx reply (consumes the body). */
export async function errorFromResponse(res: Response, method: string, url: string): Promise<RegistryError> {
  let text = "";
  try {
    text = method === "HEAD" ? "" : (await res.text()).slice(0, 64 << 10);
  } catch {
    /* body unreadable: go by the status */
  }
  let code: string | undefined;
  let message: string | undefined;
  // RFC 6750 errors in a Bearer challenge come first, as in distribution's client.
  if (res.status === 401 || res.status === 403) {
    for (const c of parseChallenges(res.headers.get("www-authenticate") ?? "")) {
      if (c.scheme !== "bearer") continue;
      if (c.params.error === "insufficient_scope") code = "DENIED";
      else if (c.params.error === "invalid_token") code = "UNAUTHORIZED";
      if (code) { message = c.params.error_description; break; }
    }
  }
  if (!code && text) {
    try {
      const body = JSON.parse(text);
      const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
      if (first && typeof first.code === "string") {
        code = first.code;
        message = typeof first.message === "string" ? first.message : undefined;
      } else if (typeof body?.details === "string" && res.status === 401) {
        code = "UNAUTHORIZED";
        message = body.details;
      }
    } catch {
      /* not JSON */
    }
  }
  if (!code && res.status === 401) code = "UNAUTHORIZED";
  if (!code && res.status === 429) code = "TOOMANYREQUESTS";
  if (!code) {
    const cause = `received unexpected HTTP status: ${res.status} ${res.statusText || ""}`.trim();
    return new RegistryError(`${requestPrefix(method, url)}: ${cause}`, undefined, res.status, cause);
  }
  const cause = `${codeText(code)}: ${message || DEFAULT_MESSAGES[code] || codeText(code)}`;
  const full = code === "UNAUTHORIZED" || code === "DENIED" || code === "TOOMANYREQUESTS" ? `${requestPrefix(method, url)}: ${cause}` : cause;
  return new RegistryError(full, code, res.status, cause);
}

/** Docker's translation of pull errors (moby distribution/errors.go). */
export function translatePullError(e: unknown, ref: Reference): unknown {
  if (!(e instanceof RegistryError)) return e;
  switch (e.code) {
    case "DENIED":
      return new RegistryError(
        `pull access denied for ${familiarRepository(ref)}, repository does not exist or may require 'docker login': ${e.reason}`,
        e.code, e.httpStatus, e.reason, 404);
    case "MANIFEST_UNKNOWN":
      return new RegistryError(`manifest for ${familiarString(ref)} not found: ${e.reason}`, e.code, e.httpStatus, e.reason, 404);
    case "NAME_UNKNOWN":
      return new RegistryError(`repository ${familiarRepository(ref)} not found: ${e.reason}`, e.code, e.httpStatus, e.reason, 404);
  }
  return e;
}

/** A transport failure (connection refused, TLS) in Go's url.Error shape. */
export function transportError(method: string, url: string, e: unknown): RegistryError {
  const tls = certificateProblem(e);
  const msg = tls ? `tls: failed to verify certificate: x509: ${tls}` : goNetMessage(url, e);
  const err = new RegistryError(`${requestPrefix(method, url)}: ${msg}`, undefined, 0, msg);
  // An untrusted certificate stays untrusted: retrying only delays the error.
  if (tls) err.permanent = true;
  return err;
}

const CERT_PROBLEMS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "certificate signed by unknown authority",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "certificate signed by unknown authority",
  UNABLE_TO_GET_ISSUER_CERT: "certificate signed by unknown authority",
  SELF_SIGNED_CERT_IN_CHAIN: "certificate signed by unknown authority",
  DEPTH_ZERO_SELF_SIGNED_CERT: "certificate signed by unknown authority",
  CERT_HAS_EXPIRED: "certificate has expired or is not yet valid",
  CERT_NOT_YET_VALID: "certificate has expired or is not yet valid",
  ERR_TLS_CERT_ALTNAME_INVALID: "certificate is not valid for this host name",
};

function certificateProblem(e: unknown): string | undefined {
  const code = (e as { code?: string })?.code;
  if (code && CERT_PROBLEMS[code]) return CERT_PROBLEMS[code];
  const m = String((e as Error)?.message ?? "");
  if (/unable to verify the first certificate|self[- ]signed certificate|unable to get local issuer/i.test(m)) return "certificate signed by unknown authority";
  return undefined;
}

/** Bun's socket errors in the words of Go's net package, as dockerd prints them. */
function goNetMessage(url: string, e: unknown): string {
  const code = (e as { code?: string })?.code;
  const host = (() => {
    try {
      const u = new URL(url);
      return `${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`;
    } catch {
      return url;
    }
  })();
  switch (code) {
    case "ECONNREFUSED": return `dial tcp ${host}: connect: connection refused`;
    case "ECONNRESET": return `read tcp ${host}: read: connection reset by peer`;
    case "ETIMEDOUT": return `dial tcp ${host}: i/o timeout`;
    case "ENOTFOUND": case "EAI_NONAME": return `dial tcp: lookup ${host.replace(/:\d+$/, "")}: no such host`;
  }
  return (e as Error)?.message ?? String(e);
}
