// Plans the images of an OCI image layout (index.json, nested indexes,
// manifests), checking that every blob needed is in the archive.
import { InvalidDataError } from "../../errors.ts";
import type { Digest } from "../../store/digest.ts";
import type { Store } from "../../store/index.ts";
import { parseManifest, type Descriptor, type ImageManifest } from "../manifest.ts";
import { MediaType, isIndexMediaType, isManifestMediaType } from "../media-types.ts";
import { formatPlatform, hostPlatform, platformMatches, type Platform } from "../platform.ts";
import { normalizeReference, formatReference, parseReference } from "../reference.ts";
import type { PlannedImage } from "./plan.ts";
import { archiveBlob, type ArchiveContents } from "./read-archive.ts";

export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";
export const ANNOTATION_IMAGE_NAME = "io.containerd.image.name";
const MAX_INDEX_DEPTH = 4;

export function requireBlob(c: ArchiveContents, d: Descriptor, what: string): { digest: Digest; size: number } {
  const b = archiveBlob(c, `blobs/sha256/${d.digest.slice(7)}`);
  if (!b) throw new InvalidDataError(`invalid archive: missing blob ${d.digest} (${what})`);
  if (b.size !== d.size) throw new InvalidDataError(`invalid archive: size mismatch for ${d.digest} (${what}): descriptor says ${d.size}, blob has ${b.size}`);
  return b;
}

/** The full name an index entry carries, if any. */
export function nameFromAnnotations(a: Record<string, string> | undefined): string | undefined {
  const full = a?.[ANNOTATION_IMAGE_NAME];
  if (full) return formatReference(normalizeReference(full));
  const ref = a?.[ANNOTATION_REF_NAME];
  // A bare tag ("latest") names no repository; only full references tag the image.
  if (ref && /[:/]/.test(ref)) {
    try {
      const r = parseReference(ref);
      if (r.digest === undefined) return formatReference(normalizeReference(ref));
    } catch {
      /* not a reference: ignore the annotation */
    }
  }
  return undefined;
}

export async function planManifest(store: Store, c: ArchiveContents, desc: Descriptor): Promise<{ manifest: ImageManifest; plan: PlannedImage }> {
  requireBlob(c, desc, "manifest");
  const parsed = parseManifest(await store.blobs.readBytes(desc.digest), desc.mediaType);
  if (parsed.kind !== "manifest") throw new InvalidDataError(`invalid archive: ${desc.digest} is an index, expected a manifest`);
  const m = parsed.manifest;
  const config = requireBlob(c, m.config, "config");
  const layers = m.layers.map((l, i) => {
    const b = requireBlob(c, l, `layer ${i + 1} of ${m.layers.length}`);
    return { digest: b.digest, size: b.size, mediaType: l.mediaType };
  });
  return {
    manifest: m,
    plan: {
      config,
      layers,
      manifest: {
        digest: desc.digest,
        mediaType: m.mediaType,
        size: desc.size,
        os: desc.platform?.os,
        architecture: desc.platform?.architecture,
        variant: desc.platform?.variant,
      },
      tags: [],
    },
  };
}

export async function planOciLayout(store: Store, c: ArchiveContents, platform: Platform = hostPlatform()): Promise<PlannedImage[]> {
  const layout = c.files.get("oci-layout");
  if (layout) {
    let v: unknown;
    try {
      v = JSON.parse(new TextDecoder().decode(layout));
    } catch {
      throw new InvalidDataError("invalid archive: oci-layout is not valid JSON");
    }
    const version = (v as { imageLayoutVersion?: unknown })?.imageLayoutVersion;
    if (typeof version !== "string" || !version.startsWith("1.")) {
      throw new InvalidDataError(`invalid archive: unsupported OCI layout version ${JSON.stringify(version)}`);
    }
  }
  const indexBytes = c.files.get("index.json");
  if (!indexBytes) throw new InvalidDataError("invalid archive: index.json not found");
  const top = parseManifest(indexBytes, MediaType.OciIndex);
  if (top.kind !== "index") throw new InvalidDataError("invalid archive: index.json is not an image index");

  const plans = new Map<string, PlannedImage>();
  const add = (p: PlannedImage, name: string | undefined) => {
    const existing = plans.get(p.config.digest);
    const target = existing ?? p;
    if (!existing) plans.set(p.config.digest, p);
    if (name && !target.tags.includes(name)) target.tags.push(name);
  };

  const visit = async (desc: Descriptor, name: string | undefined, depth: number): Promise<void> => {
    if (isManifestMediaType(desc.mediaType)) {
      add((await planManifest(store, c, desc)).plan, name);
    } else if (isIndexMediaType(desc.mediaType)) {
      if (depth >= MAX_INDEX_DEPTH) throw new InvalidDataError("invalid archive: image indexes nested too deep");
      requireBlob(c, desc, "index");
      const nested = parseManifest(await store.blobs.readBytes(desc.digest), desc.mediaType);
      if (nested.kind !== "index") throw new InvalidDataError(`invalid archive: ${desc.digest} is a manifest, expected an index`);
      const entries = nested.index.manifests;
      const images = entries.filter((e) => isManifestMediaType(e.mediaType));
      const choice = images.find((e) => platformMatches(platform, e.platform)) ?? (images.length === 1 && !images[0]!.platform ? images[0] : undefined);
      if (choice) await visit(choice, name, depth + 1);
      for (const e of entries.filter((e) => isIndexMediaType(e.mediaType))) await visit(e, name, depth + 1);
      if (!choice && !entries.some((e) => isIndexMediaType(e.mediaType))) {
        throw new InvalidDataError(`no matching manifest for ${formatPlatform(platform)} in the manifest list entries`);
      }
    } else if (desc.mediaType === MediaType.DockerSchema1 || desc.mediaType === MediaType.DockerSchema1Signed) {
      throw new InvalidDataError("unsupported manifest format: Docker Image manifest version 2, schema 1 is no longer supported");
    } else {
      throw new InvalidDataError(`unsupported media type in index: ${desc.mediaType}`);
    }
  };

  for (const desc of top.index.manifests) await visit(desc, nameFromAnnotations(desc.annotations), 0);
  if (plans.size === 0) throw new InvalidDataError("invalid archive: index.json lists no images");
  return [...plans.values()];
}

