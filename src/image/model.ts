// The image model every source produces and every sink consumes, in the
// spirit of go-containerregistry's v1.Image and v1.Layer: an image is a config
// plus ordered layers; a layer knows its digests, media type and size and
// gives its bytes as streams. Sources: a registry (pull), an archive (load), a
// tarball (import), a container's changes (commit), the built-in images
// (seed), a builder step. Sinks: the store (write/), save, push (stored.ts).
import { InvalidDataError } from "../errors.ts";
import { detectCompression, uncompressed, type ZstdDecoder } from "../layer/compression.ts";
import type { Digest } from "../store/digest.ts";
import type { ManifestRecord } from "../store/image-records.ts";
import type { Store } from "../store/index.ts";
import type { ImageConfig } from "./config.ts";
import { ociLayerType } from "./media-types.ts";

export interface Layer {
  /** Digest of the bytes as stored or sent (compressed); unknown for a layer made from a stream. */
  readonly digest?: Digest;
  /** Digest of the uncompressed tar; unknown until a layer made from a stream is written. */
  readonly diffId?: Digest;
  readonly mediaType?: string;
  /** Size of the bytes as stored or sent. */
  readonly size?: number;
  /** compressed() checks `digest` as the bytes arrive (a registry download): the store need not hash them again. */
  readonly verifiedAsRead?: boolean;
  /**
   * The bytes as stored or sent; each call reads them again (a stream source: once).
   * `transient`: the caller is done with each chunk before it asks for the next, so a source may free or reuse its memory.
   */
  compressed(opts?: { signal?: AbortSignal; transient?: boolean }): AsyncIterable<Uint8Array>;
  /** The tar. */
  uncompressed(opts?: { zstd?: ZstdDecoder }): AsyncIterable<Uint8Array>;
}

export interface Image {
  /**
   * The config. With `configBlob`, its stored bytes (their digest is the
   * image ID) and the layers' diff IDs must be the config's; without, the
   * config is completed with the layers' diff IDs when written.
   */
  config: ImageConfig;
  configBlob?: { digest: Digest; size: number };
  layers: Layer[];
  /** The manifest the image came with (pull, OCI load), kept so push and save send the same bytes. */
  manifest?: ManifestRecord;
  /** The local image this one was made on (commit, build). */
  parent?: Digest;
}

/** A layer whose blob is in the store (load, the layers under a commit, save, push). */
export function storedLayer(store: Store, diffId: Digest | undefined, blob: { digest: Digest; mediaType?: string; size: number } | undefined): Layer {
  const open = () => {
    if (!blob) throw new InvalidDataError(`layer ${diffId} has no stored blob`);
    return store.blobs.open(blob.digest) as unknown as AsyncIterable<Uint8Array>;
  };
  return {
    ...(blob ? { digest: blob.digest, size: blob.size, ...(blob.mediaType ? { mediaType: blob.mediaType } : {}) } : {}),
    ...(diffId ? { diffId } : {}),
    compressed: open,
    uncompressed: (opts) => uncompressed(open(), opts),
  };
}

/** A layer arriving once as a stream (import, commit, seed, a build step): digests follow from its bytes. */
export function streamedLayer(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, mediaType?: string): Layer {
  let taken = false;
  const take = () => {
    if (taken) throw new Error("internal error: a streamed layer is read once");
    taken = true;
    return source as AsyncIterable<Uint8Array>;
  };
  return { ...(mediaType ? { mediaType } : {}), compressed: take, uncompressed: (opts) => uncompressed(take(), opts) };
}

/** The OCI media type of a stored layer blob, from its compression: the one place a stored blob is sniffed. */
export async function layerMediaType(store: Store, digest: Digest): Promise<string> {
  const head = await Bun.file(store.blobs.path(digest)).slice(0, 6).bytes();
  return ociLayerType(detectCompression(head));
}

/** A manifest's layer count must be its config's. */
export function checkLayerCount(configDigest: Digest, config: ImageConfig, layers: number): void {
  const diffIds = config.rootfs.diff_ids.length;
  if (diffIds !== layers) {
    throw new InvalidDataError(`invalid image ${configDigest}: the manifest lists ${layers} layers but the config has ${diffIds} diff IDs`);
  }
}
