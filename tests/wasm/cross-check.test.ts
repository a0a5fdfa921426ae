// The TypeScript tar walker/encoder (src/layer/tar) and the WASM ones must
// agree: same events on the same archives, and headers GNU tar reads the same.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidDataError } from "../../src/errors.ts";
import { TarStreamEncoder } from "../../src/layer/tar/encoder.ts";
import type { TarHeaderEncoder, TarWalker } from "../../src/layer/tar/types.ts";
import { TarStreamWalker } from "../../src/layer/tar/walker.ts";
import { WasmTarHeaderEncoder } from "../../src/layer/wasm/tar-encoder.ts";
import { WasmTarWalker } from "../../src/layer/wasm/tar-walker.ts";
import { entries } from "./sample-entries.ts";
import { makeFixtures, run, walk, type Fixtures } from "./tar-fixtures.ts";

let fx: Fixtures;
beforeAll(() => {
  fx = makeFixtures(mkdtempSync("/tmp/berth-test-wasm-cross-"));
});
afterAll(() => {
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

function write(enc: TarHeaderEncoder): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const { entry, data } of entries) {
    parts.push(enc.header(entry));
    if (data) parts.push(data, enc.padding(data.length));
  }
  parts.push(enc.end());
  return Buffer.concat(parts);
}

describe("TarStreamWalker and WasmTarWalker", () => {
  const names = ["gnu", "pax", "ustar", "busybox", "bigIdsGnu", "bigIdsPax"] as const;
  for (const name of names) {
    test(`${name}: identical entries and data, whole and in random chunks`, () => {
      const bytes = fx[name];
      const ts = walk(new TarStreamWalker(), bytes);
      expect(walk(new WasmTarWalker(), bytes)).toEqual(ts);
      const split = () => 1 + Math.floor(Math.random() * 1500);
      expect(walk(new WasmTarWalker(), bytes, split)).toEqual(ts);
      expect(walk(new TarStreamWalker(), bytes, split)).toEqual(ts);
    });
  }

  test("identical events on the archives each encoder writes", () => {
    for (const archive of [write(new WasmTarHeaderEncoder()), write(new TarStreamEncoder())]) {
      expect(walk(new WasmTarWalker(), archive)).toEqual(walk(new TarStreamWalker(), archive));
    }
  });

  test("both refuse a corrupt checksum and a truncated stream", () => {
    const corrupt = fx.gnu.slice();
    corrupt[3] ^= 1;
    const truncated = fx.pax.subarray(0, 512 * 5 + 100);
    for (const make of [() => new WasmTarWalker(), () => new TarStreamWalker()] as (() => TarWalker)[]) {
      expect(() => make().push(corrupt)).toThrow(InvalidDataError);
      const w = make();
      w.push(truncated);
      expect(() => w.finish()).toThrow(InvalidDataError);
    }
  });
});

describe("TarStreamEncoder and WasmTarHeaderEncoder", () => {
  test("GNU tar lists their archives identically", () => {
    const dir = mkdtempSync("/tmp/berth-test-wasm-cross-enc-");
    try {
      const list = (bytes: Uint8Array, file: string) => {
        writeFileSync(join(dir, file), bytes);
        return run(["tar", "--xattrs", "--numeric-owner", "--full-time", "--quoting-style=literal", "-tvvf", join(dir, file)]);
      };
      expect(list(write(new WasmTarHeaderEncoder()), "wasm.tar")).toBe(list(write(new TarStreamEncoder()), "ts.tar"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("they write byte-identical headers, PAX ones included", () => {
    const wasm = new WasmTarHeaderEncoder();
    const ts = new TarStreamEncoder();
    const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
    for (const { entry } of entries) expect([entry.path, hex(wasm.header(entry))]).toEqual([entry.path, hex(ts.header(entry))]);
  });
});
