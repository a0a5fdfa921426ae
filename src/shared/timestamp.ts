// dockerd's timestamps in filters and flags (--since, --until, the prune filters' until): Unix
// seconds, an RFC 3339 date, or a Go duration counted back from now ("10m", "1h30m").
import { parseDuration } from "./duration.ts";

/** Seconds since the epoch that `v` names; an Error with dockerd's words when it names none. */
export function timestampSeconds(v: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const ns = parseDuration(v);
  if (ns !== undefined) return now / 1000 - ns / 1e9;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`failed to parse value as time or duration: "${v}"`);
  return t / 1000;
}
