// Each build step's result is an image (Docker's classic builder does the
// same: the cache and `docker history` are made of them), written through
// the image code's one write path: the parent's stored layers, plus the
// step's layer when it changed files; a metadata step writes a config only.
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";
import type { ImageConfig } from "../image/config.ts";
import { storedLayer, streamedLayer, type Layer } from "../image/model.ts";
import { withWriteSession } from "../image/session.ts";
import { storedLayers } from "../image/stored.ts";
import { storeImage } from "../image/write/write-image.ts";
import { directoryEntries } from "../layer/diff.ts";
import { tarStream, type TarWriteItem } from "../layer/tar/write.ts";

/** A new image: `parent` plus, when `diff` is given, one layer made of it (or that stored layer itself). */
export function writeStepImage(store: Store, parent: Digest | undefined, config: ImageConfig, diff?: ReadableStream<Uint8Array> | Layer): Promise<Digest> {
  const top = diff === undefined ? [] : diff instanceof ReadableStream ? [streamedLayer(diff)] : [diff];
  const layers = [...(parent ? storedLayers(store, parent) : []), ...top];
  const { rootfs: _old, ...rest } = config;
  return withWriteSession(store, (s) => storeImage(s, { config: { ...rest, rootfs: { type: "layers", diff_ids: [] } }, layers, ...(parent ? { parent } : {}) }));
}

/**
 * A new image: `parent` plus the layer an overlay upper dir holds (a COPY's, on the store's
 * filesystem). Its tar is written once, as the layer's blob, and the directory itself
 * becomes the layer's snapshot: renamed, not unpacked from the tar again. Only for a layer
 * whose files are as they are to be stored (no SOURCE_DATE_EPOCH clamping the tar's mtimes).
 */
export function writeStepImageFromUpper(store: Store, parent: Digest | undefined, config: ImageConfig, upper: string): Promise<Digest> {
  return withWriteSession(store, async (s) => {
    let size = 0;
    async function* counted(): AsyncGenerator<TarWriteItem> {
      for await (const item of directoryEntries(upper, { overlayUpper: true })) {
        if (item.entry.type === "file") size += item.entry.size;
        yield item;
      }
    }
    const blob = await s.ingest(tarStream(counted()));
    const below = parent ? store.images.layersOf(parent) : [];
    // An uncompressed tar: its digest is the layer's diff ID.
    await s.adopt(below.at(-1)?.chain_id ?? null, blob.digest, upper, size);
    const layers = [...(parent ? storedLayers(store, parent) : []), storedLayer(store, blob.digest, { digest: blob.digest, size: blob.size })];
    const { rootfs: _old, ...rest } = config;
    return storeImage(s, { config: { ...rest, rootfs: { type: "layers", diff_ids: [] } }, layers, ...(parent ? { parent } : {}) });
  });
}

/** Points each tag (a full reference) at the built image. */
export function tagImage(store: Store, id: Digest, tags: string[]): void {
  for (const t of tags) store.images.setRef(t, "tag", id);
}
