// What an archive says its images are (config and layer blobs, already
// spooled into the content store), turned into the image model for the
// store's one write path.
import type { Digest } from "../../store/digest.ts";
import type { ManifestRecord } from "../../store/image-records.ts";
import type { Store } from "../../store/index.ts";
import { parseImageConfig } from "../config.ts";
import { storedLayer, type Image } from "../model.ts";

export interface PlannedLayer {
  digest: Digest;
  /** From the manifest, when the archive has one (a legacy docker-archive has none: sniffed when written). */
  mediaType?: string;
  size: number;
}

export interface PlannedImage {
  config: { digest: Digest; size: number };
  layers: PlannedLayer[];
  manifest?: ManifestRecord;
  /** Full normalised names to tag the image with. */
  tags: string[];
}

export async function imageOfPlan(store: Store, plan: PlannedImage): Promise<Image> {
  const config = parseImageConfig(await store.blobs.readBytes(plan.config.digest));
  const layers = plan.layers.map((l, i) => storedLayer(store, config.rootfs.diff_ids[i], l));
  return { config, configBlob: plan.config, layers, ...(plan.manifest ? { manifest: plan.manifest } : {}) };
}
