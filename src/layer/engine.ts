// The layer engine: which implementation walks a layer's tar and hashes it
// (its digest and diffID). "native" is Bun.CryptoHasher with the TypeScript
// walker; "wasm" is the Rust→WASM components (src/wasm/generated, wrapped in
// ./wasm). Both give the same results (tests/wasm/engines.test.ts); native is
// the default because it is the faster (docs/PERFORMANCE.md: SHA-256 ~13×).
import type { Sha256 } from "./hash/types.ts";
import type { TarWalker } from "./tar/types.ts";

export type LayerEngine = "native" | "wasm";
export const layerEngines: readonly LayerEngine[] = ["native", "wasm"];
export const defaultLayerEngine: LayerEngine = "native";

export interface EngineParts {
  walker: () => TarWalker;
  sha256: () => Sha256;
}

export function isLayerEngine(v: unknown): v is LayerEngine {
  return typeof v === "string" && (layerEngines as readonly string[]).includes(v);
}

/** The engine's parts, loaded when first asked for (the WASM modules are compiled on first use). */
export async function engineParts(engine: LayerEngine): Promise<EngineParts> {
  if (engine === "wasm") {
    const [{ WasmTarWalker }, { WasmSha256 }] = await Promise.all([import("./wasm/tar-walker.ts"), import("./wasm/sha256.ts")]);
    return { walker: () => new WasmTarWalker(), sha256: () => new WasmSha256() };
  }
  const [{ TarStreamWalker }, { NativeSha256 }] = await Promise.all([import("./tar/walker.ts"), import("./hash/native.ts")]);
  return { walker: () => new TarStreamWalker(), sha256: () => new NativeSha256() };
}
