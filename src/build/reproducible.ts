// SOURCE_DATE_EPOCH: every timestamp a build writes is clamped to it, so the
// same inputs give the same image ID on any day.
import type { TarWriteItem } from "../layer/tar/write.ts";
import { rfc3339Nano } from "../image/config.ts";

/** The epoch from the build args or the daemon's environment, in seconds; undefined when unset. */
export function sourceDateEpoch(buildArgs: Record<string, string | null | undefined>): number | undefined {
  const raw = buildArgs.SOURCE_DATE_EPOCH ?? process.env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === null || raw === "") return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function createdAt(epoch: number | undefined): string {
  return rfc3339Nano(epoch === undefined ? new Date() : new Date(epoch * 1000));
}

export async function* clampMtimes(items: AsyncIterable<TarWriteItem>, epoch: number | undefined): AsyncGenerator<TarWriteItem> {
  for await (const item of items) {
    yield epoch !== undefined && item.entry.mtime > epoch ? { ...item, entry: { ...item.entry, mtime: epoch } } : item;
  }
}
