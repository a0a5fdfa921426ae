// Compose durations ("1m30s", "500ms", "2h") are Go's time.Duration strings.
import { ComposeError } from "./errors.ts";

const unitNs: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A duration in nanoseconds. */
export function durationNs(v: string | number): number {
  if (typeof v === "number") return v * 1e9;
  if (v === "0") return 0;
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== v) throw new ComposeError(`time: invalid duration "${v}"`);
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * unitNs[p[2]!]!, 0));
}
