// SHA-256 in WASM (wasm/sha256), behind the same interface as Bun.CryptoHasher.
// Usable at once after import: the component is instantiated synchronously on
// first use. Hashers that are dropped unfinished are freed by a finalizer.
import type { Sha256 } from "../hash/types.ts";
import { coreModuleBase64, coreModuleName } from "../../wasm/generated/sha256/core.ts";
import { instantiate } from "../../wasm/generated/sha256/sha256.js";
import { lazyComponent, MAX_CALL_BYTES } from "./load.ts";

const component = lazyComponent(instantiate, coreModuleName, coreModuleBase64);
const unfinished = new FinalizationRegistry<number>((handle) => component().discard(handle));

export class WasmSha256 implements Sha256 {
  #handle: number | undefined;

  constructor() {
    this.#handle = component().create();
    unfinished.register(this, this.#handle, this);
  }

  update(data: Uint8Array): void {
    const handle = this.#live();
    for (let at = 0; at < data.length; at += MAX_CALL_BYTES) {
      component().update(handle, data.subarray(at, at + MAX_CALL_BYTES));
    }
  }

  digestHex(): string {
    const handle = this.#live();
    unfinished.unregister(this);
    this.#handle = undefined;
    return Buffer.from(component().finish(handle)).toString("hex");
  }

  #live(): number {
    if (this.#handle === undefined) throw new Error("sha256: hasher already finished");
    return this.#handle;
  }
}
