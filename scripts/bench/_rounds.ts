// Measuring contenders fairly on a host whose speed moves by a third from one
// minute to the next: every round visits each of them once, in an order that
// turns, so a slow spell falls on all of them and not on whoever was measured then.

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** How long `fn` takes, in ms. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** `once` for every contender, `rounds` times; the samples, per contender in the order given. */
export async function interleaved<T, S = number>(contenders: T[], rounds: number, once: (c: T, round: number) => Promise<S>): Promise<S[][]> {
  const samples = contenders.map(() => [] as S[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + r) % contenders.length;
      samples[i]!.push(await once(contenders[i]!, r));
    }
  }
  return samples;
}
