// Validation of the path parts of registry URLs. A name that passes is safe
// to join under the storage root: every component starts with [a-z0-9], so
// "..", "." and "_manifests"-style names cannot occur.
import { RegistryHttpError } from "./errors.ts";

const COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
const NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const ANY_DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function checkName(name: string): string {
  if (name.length > 255 || !NAME_RE.test(name)) {
    throw new RegistryHttpError("NAME_INVALID", "invalid repository name", { name });
  }
  return name;
}

export function isTag(ref: string): boolean {
  return TAG_RE.test(ref);
}

export function checkTag(tag: string): string {
  if (!TAG_RE.test(tag)) throw new RegistryHttpError("TAG_INVALID", "invalid tag", { tag });
  return tag;
}

/** Only sha256 is stored; other well-formed algorithms are UNSUPPORTED, garbage DIGEST_INVALID. */
export function checkDigestParam(d: string | null | undefined): `sha256:${string}` {
  if (d && DIGEST_RE.test(d)) return d as `sha256:${string}`;
  if (d && ANY_DIGEST_RE.test(d) && !d.startsWith("sha256:")) {
    throw new RegistryHttpError("DIGEST_INVALID", `unsupported digest algorithm: ${d.split(":")[0]}`, { digest: d });
  }
  throw new RegistryHttpError("DIGEST_INVALID", "invalid digest", { digest: d ?? null });
}

export function isDigestRef(ref: string): boolean {
  return ref.includes(":");
}

export function checkUploadId(id: string): string {
  if (!UUID_RE.test(id)) throw new RegistryHttpError("BLOB_UPLOAD_UNKNOWN", undefined, { uuid: id });
  return id;
}
