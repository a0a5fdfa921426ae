// Archives are written with the layer pipeline's tar header encoder.
import type { TarHeaderEncoder } from "../../layer/tar/types.ts";
import { TarStreamEncoder } from "../../layer/tar/encoder.ts";

export function newTarHeaderEncoder(): TarHeaderEncoder {
  return new TarStreamEncoder();
}
