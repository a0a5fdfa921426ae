// Go's time.Duration in text: ParseDuration for HEALTHCHECK's --interval and the
// --health-* flags ("1m30s", "500ms", "1.5h" → nanoseconds, undefined when
// malformed), and String for the messages dockerd prints with durations in them.
const UNITS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
  if (!m) return undefined;
  let total = 0;
  for (const part of text.replace(/^[+-]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNITS[part[2]!]!;
  }
  return Math.round(m[1] === "-" ? -total : total);
}

/** Go's Duration.String(): "0s", "500ms", "1.5s", "1m30s", "2h0m0s". */
export function formatDuration(ns: number): string {
  if (ns === 0) return "0s";
  const sign = ns < 0 ? "-" : "";
  const a = Math.abs(Math.round(ns));
  // Below a second Go picks the largest unit that keeps the integer part non-zero.
  if (a < 1e3) return `${sign}${a}ns`;
  if (a < 1e6) return `${sign}${trim(a / 1e3)}µs`;
  if (a < 1e9) return `${sign}${trim(a / 1e6)}ms`;
  const h = Math.floor(a / 3600e9);
  const m = Math.floor((a % 3600e9) / 60e9);
  const s = trim((a % 60e9) / 1e9);
  if (h) return `${sign}${h}h${m}m${s}s`;
  if (m) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

/** A fraction as Go prints it: up to nine digits, trailing zeros dropped. */
function trim(n: number): string {
  return n.toFixed(9).replace(/\.?0+$/, "");
}
