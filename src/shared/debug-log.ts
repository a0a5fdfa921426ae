// Errors the code goes on past — a cleanup that found nothing to clean, a peer
// that hung up first — are told at debug level rather than dropped, so that
// `berth daemon --debug` (or BERTH_DEBUG=1 for any berth process) shows what
// was skipped and why.
let enabled = process.env.BERTH_DEBUG === "1";

export function setDebugLog(on: boolean): void {
  enabled = on;
}

export function debugLog(context: string, err?: unknown): void {
  if (!enabled) return;
  const why = err === undefined ? "" : `: ${err instanceof Error ? err.message : String(err)}`;
  process.stderr.write(`${new Date().toISOString()} DEBUG ${context}${why}\n`);
}

/** A rejection handler for work whose failure changes nothing the caller relies on: it is logged at debug level. */
export function skipped(context: string): (err: unknown) => void {
  return (err) => debugLog(context, err);
}
