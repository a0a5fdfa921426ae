// `docker import`: a rootfs tar (plain, gzip or zstd) → a one-layer image.
// The bytes are spooled into the content store and applied to a snapshot in
// one pass; the blob is kept as it came, so save writes it unchanged.
import { InvalidParameterError } from "../errors.ts";
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";
import { applyChanges } from "./changes.ts";
import { encodeConfig, rfc3339Nano, type ContainerConfig, type ImageConfig } from "./config.ts";
import { ociLayerType } from "./media-types.ts";
import { sniffCompression } from "./materialize.ts";
import { hostPlatform, parsePlatform, type Platform } from "./platform.ts";
import { formatReference, parseReference, withDefaultTag } from "./reference.ts";
import { withWriteSession, type WriteSession } from "./session.ts";
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

async function* iterate(s: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* s as AsyncIterable<Uint8Array>;
}

/** A layer of an image being built on top of another. */
export interface ParentImage {
  id: Digest;
  layers: LayerRecord[];
}

/**
 * Spools `source` into a blob while applying it as a new layer on top of
 * `parent`'s (none for import), then records an image with `base` as config
 * (rootfs filled in here) under `tag`.
 */
export async function createLayeredImage(
  session: WriteSession,
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  base: ImageConfig,
  tag: string | undefined,
  parent?: ParentImage,
): Promise<Digest> {
  const writer = await session.writer();
  const src = iterate(source);
  const teed = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const r = await src.next();
        if (r.done) return;
        await writer.write(r.value);
        yield r.value;
      }
    },
  };
  const below = parent?.layers ?? [];
  const parentChainId = below.length ? below[below.length - 1]!.chainId : null;
  let snap;
  try {
    snap = await session.prepareFromContent(parentChainId, teed);
    // The layer reader may stop at the end-of-archive blocks: keep every byte in the blob.
    for (let r = await src.next(); !r.done; r = await src.next()) await writer.write(r.value);
  } catch (e) {
    await writer.abort();
    throw e;
  }
  const blob = await writer.commit();
  const config: ImageConfig = { ...base, rootfs: { type: "layers", diff_ids: [...below.map((l) => l.diffId), snap.diffId] } };
  const configBytes = encodeConfig(config);
  const cfg = await session.ingest(configBytes);
  const mediaType = ociLayerType(await sniffCompression(session.store, blob.digest));
  session.commit(
    [
      {
        id: cfg.digest,
        configSize: cfg.size,
        created: config.created ?? "",
        os: config.os,
        architecture: config.architecture,
        variant: config.variant,
        ...(parent ? { parent: parent.id } : {}),
        layers: [...below, { chainId: snap.chainId, diffId: snap.diffId, parentChainId, blob: { digest: blob.digest, mediaType, size: blob.size } }],
        manifests: [],
      },
    ],
    tag ? [{ name: tag, kind: "tag", imageId: cfg.digest }] : [],
  );
  return cfg.digest;
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
