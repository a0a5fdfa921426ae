// Turns a planned image (config blob + layer blobs, all in the content store)
// into an ImageRecord whose layer snapshots are ready. Shared by load, import
// and the seed; pull will use it too.
import { InvalidDataError } from "../errors.ts";
import type { Digest } from "../store/digest.ts";
import type { ImageRecord, ManifestRecord } from "../store/image-records.ts";
import { chainIds, parseImageConfig, type ImageConfig } from "./config.ts";
import { ociLayerType, type LayerCompression } from "./media-types.ts";
import type { WriteSession } from "./session.ts";
import type { Store } from "../store/index.ts";

export interface PlannedLayer {
  digest: Digest;
  mediaType: string;
  size: number;
}

export interface PlannedImage {
  config: { digest: Digest; size: number };
  layers: PlannedLayer[];
  manifest?: ManifestRecord;
  /** Full normalised names to tag the image with. */
  tags: string[];
}

export async function readConfig(store: Store, digest: Digest): Promise<ImageConfig> {
  return parseImageConfig(await store.blobs.readBytes(digest));
}

export async function materialize(
  session: WriteSession,
  plan: PlannedImage,
  onLayer?: (i: number, n: number, layer: PlannedLayer) => void,
): Promise<ImageRecord> {
  const store = session.store;
  const config = await readConfig(store, plan.config.digest);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== plan.layers.length) {
    throw new InvalidDataError(
      `invalid image ${plan.config.digest}: the manifest lists ${plan.layers.length} layers but the config has ${diffIds.length} diff IDs`,
    );
  }
  const chains = chainIds(diffIds);
  const layers = [];
  for (let i = 0; i < diffIds.length; i++) {
    const blob = plan.layers[i]!;
    onLayer?.(i, diffIds.length, blob);
    const layer = { chainId: chains[i]!, diffId: diffIds[i]!, parentChainId: i === 0 ? null : chains[i - 1]! };
    await session.prepareLayer(layer, blob.digest);
    layers.push({ ...layer, blob });
  }
  return {
    id: plan.config.digest,
    configSize: plan.config.size,
    created: typeof config.created === "string" ? config.created : "",
    os: config.os,
    architecture: config.architecture,
    variant: typeof config.variant === "string" ? config.variant : undefined,
    layers,
    manifests: plan.manifest ? [plan.manifest] : [],
  };
}

/** Compression of a stored blob, from its magic bytes. */
export async function sniffCompression(store: Store, digest: Digest): Promise<LayerCompression> {
  const head = await Bun.file(store.blobs.path(digest)).slice(0, 4).bytes();
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}

export async function plannedLayerFromBlob(store: Store, blob: { digest: Digest; size: number }): Promise<PlannedLayer> {
  return { digest: blob.digest, size: blob.size, mediaType: ociLayerType(await sniffCompression(store, blob.digest)) };
}
