// `docker import`: a rootfs tar (plain, gzip or zstd) → a one-layer image, a
// streamed layer written through the store's one write path (write/); the
// blob is kept as it came, so save writes it unchanged.
import { InvalidParameterError } from "../errors.ts";
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";
import { applyChanges } from "./changes.ts";
import { rfc3339Nano, type ContainerConfig, type ImageConfig } from "./config.ts";
import { storedLayer, streamedLayer, type Image } from "./model.ts";
import { hostPlatform, parsePlatform, type Platform } from "./platform.ts";
import { formatReference, parseReference, withDefaultTag } from "./reference.ts";
import { withWriteSession, type WriteSession } from "./session.ts";
import { storeImage } from "./write/write-image.ts";
import type { LayerRecord } from "../store/image-records.ts";

export interface ImportOptions {
  repo?: string;
  tag?: string;
  changes?: string[];
  message?: string;
  platform?: string;
}

/** Resolves Docker's repo + tag parameters into one full tag name. */
export function importTagName(repo?: string, tag?: string): string | undefined {
  if (!repo) return undefined;
  const ref = parseReference(repo);
  if (ref.digest) throw new InvalidParameterError("cannot import to a digest reference");
  if (tag) ref.tag = parseReference(`x:${tag}`).tag;
  return formatReference(withDefaultTag(ref));
}

/** A layer of an image being built on top of another. */
export interface ParentImage {
  id: Digest;
  layers: LayerRecord[];
}

/**
 * Spools `source` into a blob while applying it as a new layer on top of
 * `parent`'s (none for import), then records an image with `base` as config
 * (rootfs filled in) under `tag`. Kept for callers written against it:
 * storeImage (image/write) is the entry point, storedLayers (stored.ts) gives
 * a parent's layers.
 */
export function createLayeredImage(
  session: WriteSession,
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  base: ImageConfig,
  tag: string | undefined,
  parent?: ParentImage,
): Promise<Digest> {
  const below = (parent?.layers ?? []).map((l) => storedLayer(session.store, l.diffId, l.blob));
  const image: Image = { config: base, layers: [...below, streamedLayer(source)], ...(parent ? { parent: parent.id } : {}) };
  return storeImage(session, image, tag ? [{ name: tag, kind: "tag" }] : []);
}

export async function importRootfs(
  store: Store,
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  opts: ImportOptions = {},
): Promise<Digest> {
  const tag = importTagName(opts.repo, opts.tag);
  const platform: Platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  const containerConfig: ContainerConfig = applyChanges({}, opts.changes ?? []);
  const created = rfc3339Nano();
  const comment = opts.message ?? "";
  const base: ImageConfig = {
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    created,
    ...(comment ? { comment } : {}),
    config: containerConfig,
    history: [{ created, created_by: "", comment: comment || "Imported from -" }],
    rootfs: { type: "layers", diff_ids: [] },
  };
  return withWriteSession(store, (s) => createLayeredImage(s, source, base, tag));
}
