// Parsing and validation of image manifests and indexes (Docker schema 2 and
// OCI). Everything here comes from untrusted archives or registries.
import { InvalidDataError } from "../errors.ts";
import { checkDigest, type Digest } from "../store/digest.ts";
import { MediaType, isIndexMediaType, isLayerMediaType } from "./media-types.ts";
import type { Platform } from "./platform.ts";

/** containerd's limit for manifests and indexes. */
export const MAX_MANIFEST_SIZE = 4 << 20;

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export type ParsedManifest = { kind: "manifest"; manifest: ImageManifest } | { kind: "index"; index: ImageIndex };

const CONFIG_TYPES = new Set<string>([MediaType.DockerConfig, MediaType.OciConfig]);

function fail(msg: string): never {
  throw new InvalidDataError(msg);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== "string")) fail(`invalid ${what}: not a string map`);
  return v as Record<string, string>;
}

export function parseDescriptor(v: unknown, what: string): Descriptor {
  if (!isObject(v)) fail(`invalid ${what}: not an object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== "string" || mediaType === "") fail(`invalid ${what}: missing mediaType`);
  const d = checkDigest(digest, `${what} digest`);
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) fail(`invalid ${what}: bad size`);
  const desc: Descriptor = { mediaType, digest: d, size };
  if (isObject(v.platform)) {
    const p = v.platform;
    if (typeof p.os !== "string" || typeof p.architecture !== "string") fail(`invalid ${what}: bad platform`);
    desc.platform = { os: p.os, architecture: p.architecture };
    if (typeof p.variant === "string" && p.variant) desc.platform.variant = p.variant;
    if (typeof p["os.version"] === "string") desc.platform["os.version"] = p["os.version"];
  }
  const annotations = stringMap(v.annotations, `${what} annotations`);
  if (annotations) desc.annotations = annotations;
  if (Array.isArray(v.urls)) desc.urls = v.urls.filter((u): u is string => typeof u === "string");
  return desc;
}

/**
 * Parses manifest or index bytes. `declared` is the media type of the
 * descriptor that pointed here (if any); the document's own mediaType may be
 * absent (umoci writes none), then the shape decides.
 */
export function parseManifest(bytes: Uint8Array, declared?: string): ParsedManifest {
  if (bytes.byteLength > MAX_MANIFEST_SIZE) fail(`manifest too large: ${bytes.byteLength} bytes (limit ${MAX_MANIFEST_SIZE})`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    fail("invalid manifest: not valid JSON");
  }
  if (!isObject(doc)) fail("invalid manifest: not a JSON object");
  if (
    doc.schemaVersion === 1 ||
    declared === MediaType.DockerSchema1 ||
    declared === MediaType.DockerSchema1Signed ||
    doc.mediaType === MediaType.DockerSchema1 ||
    doc.mediaType === MediaType.DockerSchema1Signed
  ) {
    fail("unsupported manifest format: Docker Image manifest version 2, schema 1 is no longer supported; the image must be rebuilt or pushed with a newer tool");
  }
  if (doc.schemaVersion !== 2) fail(`unsupported manifest schemaVersion: ${JSON.stringify(doc.schemaVersion)}`);
  const own = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  if (own && declared && own !== declared && !(isIndexMediaType(own) && isIndexMediaType(declared))) {
    fail(`manifest media type mismatch: descriptor says ${declared}, document says ${own}`);
  }
  const mediaType = own ?? declared ?? (Array.isArray(doc.manifests) ? MediaType.OciIndex : MediaType.OciManifest);
  const annotations = stringMap(doc.annotations, "manifest annotations");

  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(doc.manifests)) fail("invalid index: missing manifests");
    const manifests = doc.manifests.map((m, i) => parseDescriptor(m, `index entry ${i}`));
    return { kind: "index", index: { schemaVersion: 2, mediaType, manifests, ...(annotations ? { annotations } : {}) } };
  }
  if (mediaType !== MediaType.OciManifest && mediaType !== MediaType.DockerManifest) {
    fail(`unsupported manifest media type: ${mediaType}`);
  }
  const config = parseDescriptor(doc.config, "config");
  if (!CONFIG_TYPES.has(config.mediaType)) fail(`unsupported config media type: ${config.mediaType}`);
  if (!Array.isArray(doc.layers)) fail("invalid manifest: missing layers");
  const layers = doc.layers.map((l, i) => parseDescriptor(l, `layer ${i}`));
  for (const l of layers) {
    if (!isLayerMediaType(l.mediaType)) fail(`unsupported layer media type: ${l.mediaType}`);
  }
  return { kind: "manifest", manifest: { schemaVersion: 2, mediaType, config, layers, ...(annotations ? { annotations } : {}) } };
}
