// `docker commit`: a container's changes (a tar of its overlay upper dir, in
// OCI whiteout form) become one more layer on top of its image.
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";
import { rfc3339Nano, type ContainerConfig, type ImageConfig } from "./config.ts";
import { importTagName } from "./import.ts";
import { streamedLayer } from "./model.ts";
import { withWriteSession } from "./session.ts";
import { storedLayers } from "./stored.ts";
import { storeImage } from "./write/write-image.ts";

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  containerId: string;
  /** The new image's container config (the container's, with overrides and changes applied). */
  config: ContainerConfig;
  /** What history says created the layer, e.g. the container's command. */
  createdBy: string;
}

export async function commitImage(store: Store, parentId: Digest, diff: ReadableStream<Uint8Array>, o: CommitOptions): Promise<Digest> {
  const tag = importTagName(o.repo, o.tag);
  const parentConfig = await store.blobs.readJson<ImageConfig>(parentId);
  const created = rfc3339Nano();
  const base: ImageConfig = {
    ...parentConfig,
    created,
    container: o.containerId,
    config: o.config,
    ...(o.author ? { author: o.author } : {}),
    ...(o.comment ? { comment: o.comment } : {}),
    history: [...(parentConfig.history ?? []), { created, created_by: o.createdBy, ...(o.comment ? { comment: o.comment } : {}), ...(o.author ? { author: o.author } : {}) }],
  };
  const image = { config: base, layers: [...storedLayers(store, parentId), streamedLayer(diff)], parent: parentId };
  return withWriteSession(store, (s) => storeImage(s, image, tag ? [{ name: tag, kind: "tag" }] : []));
}
