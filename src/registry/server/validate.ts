// What the registry checks in a pushed manifest: JSON, schema 2, a known
// media type that agrees with Content-Type, well-formed descriptors. Config
// and layer media types are not restricted (OCI artifacts use their own).
import { RegistryHttpError } from "./errors.ts";
import type { Sha256Digest } from "./storage/index.ts";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const SCHEMA1 = ["application/vnd.docker.distribution.manifest.v1+json", "application/vnd.docker.distribution.manifest.v1+prettyjws"];
const KNOWN = new Set([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST]);
const INDEXES = new Set([OCI_INDEX, DOCKER_LIST]);

export interface Descriptor {
  mediaType: string;
  digest: Sha256Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ValidatedManifest {
  mediaType: string;
  /** Blobs that must be in the repository (config, non-foreign layers). */
  blobs: Sha256Digest[];
  /** Manifests that must be in the repository (index entries). */
  manifests: Sha256Digest[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

function invalid(message: string, detail: unknown = null): never {
  throw new RegistryHttpError("MANIFEST_INVALID", message, detail);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function descriptor(v: unknown, what: string): Descriptor {
  if (!isObject(v)) invalid(`${what}: not an object`);
  if (typeof v.mediaType !== "string" || !v.mediaType) invalid(`${what}: missing mediaType`);
  if (typeof v.digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(v.digest)) {
    if (typeof v.digest === "string" && /^[a-z0-9]+:/.test(v.digest) && !v.digest.startsWith("sha256:")) {
      throw new RegistryHttpError("UNSUPPORTED", `${what}: unsupported digest algorithm`, { digest: v.digest });
    }
    invalid(`${what}: invalid digest`, { digest: v.digest ?? null });
  }
  if (typeof v.size !== "number" || !Number.isSafeInteger(v.size) || v.size < 0) invalid(`${what}: invalid size`);
  const d: Descriptor = { mediaType: v.mediaType, digest: v.digest as Sha256Digest, size: v.size };
  if (typeof v.artifactType === "string") d.artifactType = v.artifactType;
  if (isObject(v.annotations)) d.annotations = v.annotations as Record<string, string>;
  if (Array.isArray(v.urls) && v.urls.length > 0) d.urls = v.urls.filter((u): u is string => typeof u === "string");
  return d;
}

/** Media type from Content-Type, ignoring parameters and generic types. */
function declaredType(contentType: string | null): string | undefined {
  const t = contentType?.split(";")[0]!.trim().toLowerCase();
  if (!t || t === "application/octet-stream" || t === "application/json") return undefined;
  return t;
}

export function validateManifest(bytes: Uint8Array, contentType: string | null): ValidatedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    invalid("manifest is not valid JSON");
  }
  if (!isObject(doc)) invalid("manifest is not a JSON object");
  const declared = declaredType(contentType);
  if (doc.schemaVersion === 1 || (declared && SCHEMA1.includes(declared))) {
    throw new RegistryHttpError("MANIFEST_INVALID", "schema 1 manifests are not supported");
  }
  if (doc.schemaVersion !== 2) invalid("unsupported schemaVersion", { schemaVersion: doc.schemaVersion ?? null });
  const own = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  if (own && declared && own !== declared) invalid(`mediaType ${own} does not match Content-Type ${declared}`);
  const mediaType = own ?? declared ?? (Array.isArray(doc.manifests) ? OCI_INDEX : OCI_MANIFEST);
  if (!KNOWN.has(mediaType)) invalid(`unsupported manifest media type ${mediaType}`);

  const out: ValidatedManifest = { mediaType, blobs: [], manifests: [] };
  if (doc.subject !== undefined) out.subject = descriptor(doc.subject, "subject");
  if (typeof doc.artifactType === "string") out.artifactType = doc.artifactType;
  if (isObject(doc.annotations)) out.annotations = doc.annotations as Record<string, string>;

  if (INDEXES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) invalid("index without manifests");
    out.manifests = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`).digest);
    return out;
  }
  const config = descriptor(doc.config, "config");
  if (!Array.isArray(doc.layers)) invalid("manifest without layers");
  const layers = doc.layers.map((l, i) => descriptor(l, `layers[${i}]`));
  out.blobs = [config.digest, ...layers.filter((l) => !l.urls).map((l) => l.digest)];
  if (!out.artifactType && mediaType === OCI_MANIFEST) out.artifactType = config.mediaType;
  return out;
}
