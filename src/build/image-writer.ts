// Each build step's result is an image (Docker's classic builder does the
// same: the cache and `docker history` are made of them), written through
// the image code's one write path: the parent's stored layers, plus the
// step's layer when it changed files; a metadata step writes a config only.
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";
import type { ImageConfig } from "../image/config.ts";
import { streamedLayer, type Layer } from "../image/model.ts";
import { withWriteSession } from "../image/session.ts";
import { storedLayers } from "../image/stored.ts";
import { storeImage } from "../image/write/write-image.ts";

/** A new image: `parent` plus, when `diff` is given, one layer made of it (or that stored layer itself). */
export function writeStepImage(store: Store, parent: Digest | undefined, config: ImageConfig, diff?: ReadableStream<Uint8Array> | Layer): Promise<Digest> {
  const top = diff === undefined ? [] : diff instanceof ReadableStream ? [streamedLayer(diff)] : [diff];
  const layers = [...(parent ? storedLayers(store, parent) : []), ...top];
  const { rootfs: _old, ...rest } = config;
  return withWriteSession(store, (s) => storeImage(s, { config: { ...rest, rootfs: { type: "layers", diff_ids: [] } }, layers, ...(parent ? { parent } : {}) }));
}

/** Points each tag (a full reference) at the built image. */
export function tagImage(store: Store, id: Digest, tags: string[]): void {
  for (const t of tags) store.images.setRef(t, "tag", id);
}
