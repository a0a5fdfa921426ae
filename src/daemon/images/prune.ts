// `docker image prune`: removes dangling (untagged) images, or with
// dangling=false every image no container uses; `until` and `label` filters
// as dockerd reads them. Space reclaimed is what the removed layers held.
import { pruneFilter } from "../prune-filter.ts";
import type { Store } from "../../store/index.ts";
import type { Digest } from "../../store/digest.ts";
import type { ImageDeleteItem } from "../image-service.ts";
import { removeImage, type ImageInUse } from "./remove.ts";
import { imageConfig, unixSeconds } from "./views.ts";

const accepted = ["dangling", "until", "label", "label!"];

export async function pruneImages(
  store: Store,
  filters: Record<string, string[]>,
  inUse: ImageInUse,
): Promise<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }> {
  const filter = pruneFilter(filters, accepted);
  const danglingOnly = !(filters.dangling ?? []).some((v) => v === "false" || v === "0");
  const sizes = new Map<string, number>();
  const deleted: ImageDeleteItem[] = [];
  // Children go before their parents, so repeat until a pass removes nothing.
  for (let removed = true; removed; ) {
    removed = false;
    for (const row of store.images.list()) {
      const id = row.id as Digest;
      // Gone since the pass began: removing a child took its untagged parents with it.
      if (!store.images.get(id)) continue;
      const tagged = store.images.refsOf(id).some((r) => r.kind === "tag");
      if ((danglingOnly && tagged) || store.images.children(id).length > 0 || (await inUse(id)).length > 0) continue;
      const labels = filters.label?.length || filters["label!"]?.length ? (await imageConfig(store, id)).config?.Labels : undefined;
      if (!filter.matches(unixSeconds(row.created), labels)) continue;
      for (const l of store.images.layersOf(id)) sizes.set(l.chain_id, l.size);
      // Every reference goes (prune does not ask, as `rmi -f` of an unused image).
      deleted.push(...(await removeImage(store, id, { force: true }, inUse)));
      removed = true;
    }
  }
  const reclaimed = deleted.reduce((n, d) => n + (d.Deleted ? sizes.get(d.Deleted) ?? 0 : 0), 0);
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
