// Pull-style reading on top of a push walker: `for await (const { entry, body } of readTar(src))`.
// Each body must be read (or left) before the next entry; what is left is skipped.
import type { TarEntry, TarEvent, TarWalker } from "./types.ts";
import { newTarStreamWalker } from "./walker.ts";
import { iteratorOf, type ByteSource } from "../source.ts";

export type { ByteSource } from "../source.ts";

export interface TarReadOptions {
  /** Which walker to use (the TypeScript one by default; src/layer/wasm has another). */
  walker?: () => TarWalker;
}

export interface TarItem {
  entry: TarEntry;
  body: AsyncIterable<Uint8Array>;
}

export async function* readTar(source: ByteSource, opts: TarReadOptions = {}): AsyncGenerator<TarItem> {
  const walker = (opts.walker ?? newTarStreamWalker)();
  const it = iteratorOf(source);
  let queue: TarEvent[] = [];
  let qi = 0;
  let done = false;
  const next = async (): Promise<TarEvent | undefined> => {
    while (qi >= queue.length) {
      if (done) return undefined;
      const r = await it.next();
      if (r.done) {
        done = true;
        walker.finish();
        return undefined;
      }
      queue = walker.push(r.value);
      qi = 0;
    }
    return queue[qi++];
  };
  try {
    for (let ev = await next(); ev; ev = await next()) {
      if (ev.kind !== "entry") continue;
      const state = { ended: false };
      async function* body(): AsyncGenerator<Uint8Array> {
        while (!state.ended) {
          const e = await next();
          if (!e || e.kind === "entryEnd") state.ended = true;
          else if (e.kind === "data") yield e.data;
        }
      }
      yield { entry: ev.entry, body: body() };
      while (!state.ended) {
        const e = await next();
        if (!e || e.kind === "entryEnd") state.ended = true;
      }
    }
  } finally {
    if (!done) await it.return?.();
  }
}
