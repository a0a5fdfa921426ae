// --cache-from: images (pulled, typically, from an earlier CI run's push)
// whose history the build may follow instead of running its steps, as
// Docker's classic builder does. A step matches a source image when the
// stage so far — its history entries and layers — is a prefix of the
// source's, and the source's next history entry was written by the same
// instruction (`created_by`). The step's image is then the stage's layers
// plus the source's layer for that entry (none for an empty_layer one),
// with the source's history entry, so the result is the source's image again.
import type { Digest } from "../store/digest.ts";
import type { HistoryEntry, ImageConfig } from "../image/config.ts";

export interface CacheSource {
  id: Digest;
  image: ImageConfig;
}

export interface CacheSourceMatch {
  source: CacheSource;
  /** The source's history entry for this step. */
  entry: HistoryEntry;
  /** The index in the source's layers of the step's layer; undefined for an empty_layer entry. */
  layer?: number;
  /** The entry is the source's last: the step's image is the source itself. */
  last: boolean;
}

/** The first source whose history continues `parent` (undefined: FROM scratch) with `createdBy`. */
export function matchCacheSource(parent: ImageConfig | undefined, sources: CacheSource[], createdBy: string): CacheSourceMatch | undefined {
  const history = parent?.history ?? [];
  const diffIds = parent?.rootfs.diff_ids ?? [];
  for (const source of sources) {
    const h = source.image.history ?? [];
    const ids = source.image.rootfs.diff_ids;
    if (h.length <= history.length || ids.length < diffIds.length) continue;
    if (!history.every((e, i) => Bun.deepEquals(e, h[i]))) continue;
    if (!diffIds.every((d, i) => d === ids[i])) continue;
    const entry = h[history.length]!;
    if (entry.created_by !== createdBy) continue;
    const layer = entry.empty_layer ? undefined : h.slice(0, history.length).filter((e) => !e.empty_layer).length;
    if (layer !== undefined && layer >= ids.length) continue;
    return { source, entry, ...(layer !== undefined ? { layer } : {}), last: h.length === history.length + 1 };
  }
  return undefined;
}
