// Bounded concurrency for writing and sending images: layers fetched, unpacked
// or uploaded a few at a time.
export { Limiter } from "../../shared/limiter.ts";

/** Runs `fn` over items, at most `limit` at a time; the first failure aborts the rest via `abort`. */
export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>, abort?: AbortController): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (e) {
        if (failure === undefined) failure = e;
        abort?.abort(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure;
}
