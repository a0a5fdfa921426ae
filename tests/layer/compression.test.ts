// Compression: sniffing, and the two zstd decoders (Bun's native stream and
// zstd-codec's streaming binding) giving the same bytes on a multi-MB input
// written by the zstd CLI, fed in odd chunk sizes; gzip round trips.
import { expect, test } from "bun:test";
import { compress, decompress, detectCompression, defaultZstdDecoder } from "../../src/layer/compression.ts";
import { InvalidDataError } from "../../src/errors.ts";
import { need } from "../fixtures/tar-tree.ts";

const input = (() => {
  const b = new Uint8Array(6 << 20);
  let x = 1;
  for (let i = 0; i < b.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = i % 4096 < 2048 ? x & 0xff : (i >> 6) & 0xff; // half noise, half compressible
  }
  return b;
})();

async function* chunks(b: Uint8Array, n: number) { for (let i = 0; i < b.length; i += n) yield b.subarray(i, i + n); }
async function all(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}
const sha = (b: Uint8Array) => new Bun.CryptoHasher("sha256").update(b).digest("hex");

test("magic bytes", () => {
  expect(detectCompression(Uint8Array.of(0x1f, 0x8b, 8))).toBe("gzip");
  expect(detectCompression(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd))).toBe("zstd");
  expect(detectCompression(new TextEncoder().encode("ustar"))).toBe("none");
  expect(detectCompression(new Uint8Array(0))).toBe("none");
  expect(() => detectCompression(Uint8Array.of(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0))).toThrow(/xz/);
  expect(() => detectCompression(new TextEncoder().encode("BZh91AY"))).toThrow(/bzip2/);
});

test(`zstd-codec and native decoders agree on the zstd CLI's output (default: ${defaultZstdDecoder})`, async () => {
  if (!need(!!Bun.which("zstd"), "the zstd CLI is not installed")) return;
  const z = Bun.spawnSync(["zstd", "-q", "-c", "-3"], { stdin: input }).stdout;
  const native = await all(decompress(chunks(z, 65_537), "zstd", { zstd: "native" }));
  const codec = await all(decompress(chunks(z, 1_000_003), "zstd", { zstd: "zstd-codec" }));
  expect(sha(native)).toBe(sha(input));
  expect(sha(codec)).toBe(sha(input));
});

test("berth's zstd and gzip output is read back by both decoders and by the CLIs", async () => {
  for (const kind of ["gzip", "zstd"] as const) {
    const c = await all(compress(chunks(input, 300_000), kind, { level: kind === "gzip" ? 1 : 3 }));
    expect(detectCompression(c)).toBe(kind);
    for (const zstd of ["native", "zstd-codec"] as const) expect(sha(await all(decompress(chunks(c, 4096), kind, { zstd })))).toBe(sha(input));
    const cli = Bun.spawnSync(kind === "gzip" ? ["gzip", "-dc"] : ["zstd", "-dc"], { stdin: c });
    expect(sha(cli.stdout)).toBe(sha(input));
  }
});

test("corrupt gzip is an InvalidDataError", async () => {
  const c = await all(compress(chunks(input.subarray(0, 100_000), 50_000), "gzip"));
  c[c.length >> 1] ^= 0xff;
  c[(c.length >> 1) + 1] ^= 0xff;
  await expect(all(decompress(chunks(c, 1000), "gzip"))).rejects.toBeInstanceOf(InvalidDataError);
});
