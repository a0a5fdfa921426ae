// The WASM tar walker on hand-made headers for the cases tar writers rarely
// produce: signed checksums, base-256 sizes, PAX global records, V7 headers.
import { describe, expect, test } from "bun:test";
import { InvalidDataError } from "../../src/errors.ts";
import { WasmTarWalker } from "../../src/layer/wasm/tar-walker.ts";
import { walk } from "./tar-fixtures.ts";

const enc = new TextEncoder();

interface Raw {
  name: string | Uint8Array;
  flag: string;
  size?: number;
  sizeField?: Uint8Array;
  mode?: number;
  magic?: "ustar" | "gnu" | "v7";
  uname?: string;
  mtime?: number;
  signed?: boolean;
}

function octal(h: Uint8Array, at: number, width: number, n: number) {
  h.set(enc.encode(n.toString(8).padStart(width - 1, "0")), at);
}

function block(r: Raw): Uint8Array {
  const h = new Uint8Array(512);
  h.set(typeof r.name === "string" ? enc.encode(r.name) : r.name, 0);
  octal(h, 100, 8, r.mode ?? 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  if (r.sizeField) h.set(r.sizeField, 124);
  else octal(h, 124, 12, r.size ?? 0);
  octal(h, 136, 12, r.mtime ?? 1);
  h[156] = r.flag.charCodeAt(0);
  if (r.magic !== "v7") h.set(enc.encode(r.magic === "gnu" ? "ustar  \0" : "ustar\x0000"), 257);
  if (r.uname) h.set(enc.encode(r.uname), 265);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += r.signed && b >= 128 ? b - 256 : b;
  octal(h, 148, 7, sum);
  return h;
}

function pad(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

function pax(records: Record<string, string>): Uint8Array {
  let text = "";
  for (const [k, v] of Object.entries(records)) {
    const base = k.length + enc.encode(v).length + 3;
    let len = base + String(base).length;
    if (String(len).length > String(base).length) len++;
    text += `${len} ${k}=${v}\n`;
  }
  return enc.encode(text);
}

function archive(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat([...parts, new Uint8Array(1024)]);
}

describe("WasmTarWalker on crafted headers", () => {
  test("a checksum summed over signed bytes is accepted", () => {
    const name = new Uint8Array([0x63, 0xc3, 0xa9]); // "cé"
    const w = walk(new WasmTarWalker(), archive(block({ name, flag: "0", signed: true })));
    expect(w.map((e) => e.entry.path)).toEqual(["cé"]);
    const bad = block({ name, flag: "0", signed: true });
    bad[148 + 5] ^= 1;
    expect(() => new WasmTarWalker().push(bad)).toThrow(InvalidDataError);
  });

  test("base-256 size field", () => {
    const sizeField = new Uint8Array(12);
    sizeField[0] = 0x80;
    sizeField[10] = 0x03;
    sizeField[11] = 0xe8; // 1000
    const data = new Uint8Array(1000).fill(7);
    const w = walk(new WasmTarWalker(), archive(block({ name: "big", flag: "0", sizeField, magic: "gnu" }), pad(data)));
    expect(w.map((e) => [e.entry.size, e.dataLength])).toEqual([[1000, 1000]]);
  });

  test("PAX global records apply to later entries; extended ones override them", () => {
    const g = pax({ uname: "global", mtime: "5.5", "SCHILY.xattr.user.g": "G" });
    const x = pax({ uname: "own", size: "3", path: "renamed", "SCHILY.xattr.user.g": "X" });
    const bytes = archive(
      block({ name: "pax_global_header", flag: "g", size: g.length }),
      pad(g),
      block({ name: "a", flag: "0", uname: "header" }),
      block({ name: "x-header", flag: "x", size: x.length }),
      pad(x),
      block({ name: "b", flag: "0", size: 0 }),
      pad(enc.encode("abc")),
    );
    const w = walk(new WasmTarWalker(), bytes);
    expect(w.map((e) => [e.entry.path, e.entry.uname, e.entry.mtime, e.entry.size, e.dataLength])).toEqual([
      ["a", "global", 5.5, 0, 0],
      ["renamed", "own", 5.5, 3, 3],
    ]);
    expect(new TextDecoder().decode(w[0]!.entry.xattrs?.["user.g"])).toBe("G");
    expect(new TextDecoder().decode(w[1]!.entry.xattrs?.["user.g"])).toBe("X");
  });

  test("PAX path wins over a GNU long name", () => {
    const long = enc.encode("l".repeat(200) + "\0");
    const x = pax({ path: "from-pax" });
    const w = walk(
      new WasmTarWalker(),
      archive(block({ name: "././@LongLink", flag: "L", size: long.length, magic: "gnu" }), pad(long), block({ name: "x", flag: "x", size: x.length }), pad(x), block({ name: "short", flag: "0" })),
    );
    expect(w.map((e) => e.entry.path)).toEqual(["from-pax"]);
  });

  test("V7 header: NUL type flag with a trailing slash is a directory", () => {
    const w = walk(new WasmTarWalker(), archive(block({ name: "dir/", flag: "\0", magic: "v7", mode: 0o755 }), block({ name: "f", flag: "\0", magic: "v7" })));
    expect(w.map((e) => [e.entry.path, e.entry.type, e.entry.mode, e.entry.uname])).toEqual([
      ["dir/", "dir", 0o755, undefined],
      ["f", "file", 0o644, undefined],
    ]);
  });

  test("invalid UTF-8 in a name becomes U+FFFD as TextDecoder does", () => {
    const name = new Uint8Array([0x61, 0xff, 0x62, 0xe2, 0x82]);
    const w = walk(new WasmTarWalker(), archive(block({ name, flag: "0" })));
    expect(w[0]!.entry.path).toBe(new TextDecoder().decode(name));
  });

  test("an unknown type flag is refused in Docker's words", () => {
    expect(() => new WasmTarWalker().push(archive(block({ name: "s", flag: "Z" })))).toThrow("unhandled tar header type 90");
  });

  test("PAX sparse files are refused", () => {
    const x = pax({ "GNU.sparse.major": "1" });
    expect(() => new WasmTarWalker().push(archive(block({ name: "x", flag: "x", size: x.length }), pad(x)))).toThrow(InvalidDataError);
  });

  test("a lone zero block followed by a header is refused (as Go's reader does)", () => {
    const bytes = Buffer.concat([block({ name: "a", flag: "0" }), new Uint8Array(512), block({ name: "b", flag: "0" })]);
    expect(() => new WasmTarWalker().push(bytes)).toThrow("archive/tar: invalid tar header");
  });

  test("a non-octal number is refused", () => {
    const h = block({ name: "a", flag: "0" });
    h[124] = "9".charCodeAt(0);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0"), 148);
    expect(() => new WasmTarWalker().push(h)).toThrow(InvalidDataError);
  });
});
