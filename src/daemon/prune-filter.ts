// The filters dockerd's prunes take: which keys each kind accepts, `until` (one, a time or a
// duration before now: what was created before it) and label / label! on the object's labels.
import { InvalidParameterError } from "../errors.ts";
import { timestampSeconds } from "../shared/timestamp.ts";
import { labelMatches } from "./label-filter.ts";

export interface PruneFilter {
  /** Whether an object created at `createdSeconds` with `labels` may be pruned. */
  matches(createdSeconds: number, labels: Record<string, string> | null | undefined): boolean;
}

/** Checks the filters' keys against those the prune accepts (label, label!, until among them) and reads them. */
export function pruneFilter(filters: Record<string, string[]>, accepted: readonly string[]): PruneFilter {
  for (const k of Object.keys(filters)) if (!accepted.includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
  const untils = filters.until ?? [];
  if (untils.length > 1) throw new InvalidParameterError("more than one until filter specified");
  let until: number | undefined;
  try {
    until = untils.length ? timestampSeconds(untils[0]!) : undefined;
  } catch (e) {
    throw new InvalidParameterError((e as Error).message);
  }
  const want = filters.label ?? [];
  const refuse = filters["label!"] ?? [];
  return {
    matches: (created, labels) =>
      (until === undefined || created < until) &&
      want.every((l) => labelMatches(labels, l)) &&
      !refuse.some((l) => labelMatches(labels, l)),
  };
}
