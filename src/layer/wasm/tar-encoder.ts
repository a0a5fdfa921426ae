// Tar header writer in WASM (wasm/tar): ustar headers, with a PAX extended
// header in front when a path, link, number, time or xattr needs one.
import type { TarEntry, TarHeaderEncoder } from "../tar/types.ts";
import { asInvalidData, headerFromEntry } from "./tar-entry.ts";
import { tarComponent } from "./tar-walker.ts";

const BLOCK = 512;

export class WasmTarHeaderEncoder implements TarHeaderEncoder {
  header(entry: TarEntry): Uint8Array {
    const header = headerFromEntry(entry);
    try {
      return tarComponent().encodeHeader(header);
    } catch (err) {
      throw asInvalidData(err);
    }
  }

  padding(size: number): Uint8Array {
    return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
  }

  end(): Uint8Array {
    return new Uint8Array(2 * BLOCK);
  }
}
