// Tar entries with their owners translated (a remapped container's host ids
// back to its own). A whiteout's owner is the overlay's, not the container's,
// and means nothing to whoever applies it: it is left as it is.
import type { TarWriteItem } from "./write.ts";

export type OwnerMap = (uid: number, gid: number) => { uid: number; gid: number };

export async function* withOwners<T extends TarWriteItem>(items: AsyncIterable<T>, owner: OwnerMap | undefined): AsyncGenerator<T> {
  if (!owner) return yield* items;
  for await (const item of items) {
    const base = item.entry.path.replace(/\/$/, "").split("/").pop()!;
    yield base.startsWith(".wh.") ? item : { ...item, entry: { ...item.entry, ...owner(item.entry.uid, item.entry.gid) } };
  }
}
