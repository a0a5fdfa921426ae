// `docker image prune`: removes dangling (untagged) images, or with
// dangling=false every image no container uses; `until` and `label` filters
// as dockerd reads them. Space reclaimed is what the removed layers held.
import { InvalidParameterError } from "../../errors.ts";
import type { Store } from "../../store/index.ts";
import type { Digest } from "../../store/digest.ts";
import type { ImageDeleteItem } from "../image-service.ts";
import { removeImage, type ImageInUse } from "./remove.ts";
import { imageConfig, unixSeconds } from "./views.ts";

const allowed = ["dangling", "until", "label", "label!"];

function untilSeconds(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const d = /^(\d+)(s|m|h)$/.exec(v);
  if (d) return Date.now() / 1000 - Number(d[1]) * { s: 1, m: 60, h: 3600 }[d[2] as "s" | "m" | "h"];
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new InvalidParameterError(`failed to parse value ${v} as a timestamp`);
  return t / 1000;
}

function labelMatch(labels: Record<string, string>, spec: string): boolean {
  const i = spec.indexOf("=");
  return i < 0 ? spec in labels : labels[spec.slice(0, i)] === spec.slice(i + 1);
}

export async function pruneImages(
  store: Store,
  filters: Record<string, string[]>,
  inUse: ImageInUse,
): Promise<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }> {
  for (const k of Object.keys(filters)) if (!allowed.includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
  const danglingOnly = !(filters.dangling ?? []).some((v) => v === "false" || v === "0");
  const until = (filters.until ?? []).map(untilSeconds);
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
      if (until.some((u) => unixSeconds(row.created) >= u)) continue;
      if (filters.label?.length || filters["label!"]?.length) {
        const labels = ((await imageConfig(store, id)).config?.Labels ?? {}) as Record<string, string>;
        if (!(filters.label ?? []).every((l) => labelMatch(labels, l))) continue;
        if ((filters["label!"] ?? []).some((l) => labelMatch(labels, l))) continue;
      }
      for (const l of store.images.layersOf(id)) sizes.set(l.chain_id, l.size);
      // Every reference goes (prune does not ask, as `rmi -f` of an unused image).
      deleted.push(...(await removeImage(store, id, { force: true }, inUse)));
      removed = true;
    }
  }
  const reclaimed = deleted.reduce((n, d) => n + (d.Deleted ? sizes.get(d.Deleted) ?? 0 : 0), 0);
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
