// The store as an image source: an image's layers for one made on top of it
// (commit, a build step), and for the sinks that send images on (save, push)
// the manifest to send and the blobs it names. The one manifestFor:
// the stored manifest when it describes this config and every blob it names
// is here (so digests survive pull → push and load → save), else a new one
// over the stored blobs.
import { SystemError } from "../errors.ts";
import { sha256Of, type Digest } from "../store/digest.ts";
import type { Store } from "../store/index.ts";
import type { Descriptor } from "./manifest.ts";
import { MediaType } from "./media-types.ts";
import { storedLayer, type Layer } from "./model.ts";

/** A stored image's layers, bottom first, each with a stored blob when one is recorded. */
export function storedLayers(store: Store, id: Digest): Layer[] {
  return store.images.layerRecordsOf(id).map((l) => storedLayer(store, l.diffId, l.blob));
}

export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  size: number;
  bytes: Uint8Array;
  config: Descriptor;
  layers: Descriptor[];
}

export async function manifestFor(store: Store, id: Digest, purpose: "save" | "push"): Promise<StoredManifest> {
  for (const m of store.images.manifestsOf(id)) {
    if (!store.blobs.has(m.digest)) continue;
    const bytes = await store.blobs.readBytes(m.digest);
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as { config?: Descriptor; layers?: Descriptor[] };
    if (doc.config?.digest !== id) continue;
    const layers = doc.layers ?? [];
    if (layers.every((l) => store.blobs.has(l.digest))) {
      return { digest: m.digest, mediaType: m.media_type, size: bytes.byteLength, bytes, config: doc.config, layers };
    }
  }
  const image = store.images.get(id);
  if (!image) throw new SystemError(`image ${id} is not in the store`);
  const layers: Descriptor[] = store.images.layerRecordsOf(id, (d) => store.blobs.has(d)).map((l) => {
    if (!l.blob) throw new SystemError(`layer ${l.diffId} of image ${id} has no stored blob; cannot ${purpose} it`);
    return { mediaType: l.blob.mediaType, digest: l.blob.digest, size: l.blob.size };
  });
  // Layers that all carry Docker's media types go in a Docker manifest (registries check the pairing), others in an OCI one.
  const docker = layers.length > 0 && layers.every((l) => l.mediaType.startsWith("application/vnd.docker."));
  const config = { mediaType: docker ? MediaType.DockerConfig : MediaType.OciConfig, digest: id, size: image.config_size };
  const mediaType = docker ? MediaType.DockerManifest : MediaType.OciManifest;
  const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType, config, layers }));
  return { digest: sha256Of(bytes), mediaType, size: bytes.byteLength, bytes, config, layers };
}
