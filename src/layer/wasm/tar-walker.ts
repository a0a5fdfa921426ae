// The tar walker in WASM (wasm/tar). One component call per chunk (split at
// 4 MiB) returns all its events; data events are views of the pushed chunk,
// so file contents are never copied back out of WASM.
import { InvalidDataError } from "../../errors.ts";
import type { TarEvent, TarWalker } from "../tar/types.ts";
import { coreModuleBase64, coreModuleName } from "../../wasm/generated/tar/core.ts";
import { instantiate } from "../../wasm/generated/tar/tar.js";
import { lazyComponent, MAX_CALL_BYTES } from "./load.ts";
import { asInvalidData, entryFromHeader } from "./tar-entry.ts";

export const tarComponent = lazyComponent(instantiate, coreModuleName, coreModuleBase64);
const abandoned = new FinalizationRegistry<number>((handle) => tarComponent().walkerDrop(handle));

export class WasmTarWalker implements TarWalker {
  #handle: number | undefined;

  constructor() {
    this.#handle = tarComponent().walkerNew();
    abandoned.register(this, this.#handle, this);
  }

  push(chunk: Uint8Array): TarEvent[] {
    const handle = this.#live();
    const events: TarEvent[] = [];
    for (let base = 0; base < chunk.length; base += MAX_CALL_BYTES) {
      let raw;
      try {
        raw = tarComponent().walkerPush(handle, chunk.subarray(base, base + MAX_CALL_BYTES));
      } catch (err) {
        throw asInvalidData(err);
      }
      for (const ev of raw) {
        if (ev.tag === "entry") events.push({ kind: "entry", entry: entryFromHeader(ev.val) });
        else if (ev.tag === "data") {
          const start = base + ev.val[0];
          events.push({ kind: "data", data: chunk.subarray(start, start + ev.val[1]) });
        } else events.push({ kind: "entryEnd" });
      }
    }
    return events;
  }

  /** Throws InvalidDataError if the stream ended inside an entry; frees the walker either way. */
  finish(): void {
    const handle = this.#live();
    this.#handle = undefined;
    abandoned.unregister(this);
    try {
      tarComponent().walkerFinish(handle);
    } catch (err) {
      throw asInvalidData(err);
    } finally {
      tarComponent().walkerDrop(handle);
    }
  }

  #live(): number {
    if (this.#handle === undefined) throw new InvalidDataError("tar: walker already finished");
    return this.#handle;
  }
}
