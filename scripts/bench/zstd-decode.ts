// zstd decoding of a ~200 MB tar: zstd-codec's streaming binding (WASM) vs
// Bun's native node:zlib stream vs Bun.zstdDecompressSync vs `zstd -dc`
// (the floor). Input sits in memory and is fed in 1 MiB chunks.
import { readFileSync, statSync } from "node:fs";
import { decompress, defaultZstdDecoder } from "../../src/layer/compression.ts";
import { layerFixture, median } from "./layer-apply.ts";

async function* chunks(b: Uint8Array) {
  for (let i = 0; i < b.length; i += 1 << 20) yield b.subarray(i, i + (1 << 20));
}

async function timeIt(fn: () => Promise<number> | number): Promise<{ s: number; bytes: number }> {
  const t = performance.now();
  const bytes = await fn();
  return { s: (performance.now() - t) / 1000, bytes };
}

export async function run(): Promise<string> {
  const { zst } = layerFixture(200e6);
  const comp = readFileSync(zst);
  const plainSize = statSync(zst.slice(0, -4)).size;
  const contenders: [string, () => Promise<number> | number][] = [
    ["zstd-codec streaming (WASM)", async () => { let n = 0; for await (const c of decompress(chunks(comp), "zstd", { zstd: "zstd-codec" })) n += c.length; return n; }],
    ["Bun native node:zlib stream", async () => { let n = 0; for await (const c of decompress(chunks(comp), "zstd", { zstd: "native" })) n += c.length; return n; }],
    ["Bun.zstdDecompressSync (one shot, not streaming)", () => Bun.zstdDecompressSync(comp).length],
    ["`zstd -dc > /dev/null` (floor)", () => {
      const r = Bun.spawnSync(["sh", "-c", `zstd -dc ${zst} > /dev/null`]);
      if (r.exitCode !== 0) throw new Error(r.stderr.toString());
      return plainSize;
    }],
  ];
  const rows: [string, number, number][] = [];
  for (const [name, fn] of contenders) {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await timeIt(fn));
    const s = median(runs.map((r) => r.s));
    rows.push([name, runs[0]!.bytes / 1e6 / s, s]);
  }
  const floor = rows[rows.length - 1]![1];
  const lines = [
    "### zstd decode",
    "",
    `Input: ${(rows[0]![1] * rows[0]![2]).toFixed(0)} MB of tar (real files from /usr), ${(comp.length / 1e6).toFixed(0)} MB as zstd -3; median of 3.`,
    "",
    "| decoder | MB/s (uncompressed) | s | vs zstd CLI |",
    "|---|---:|---:|---:|",
    ...rows.map(([n, r, s]) => `| ${n} | ${r.toFixed(0)} | ${s.toFixed(2)} | ${(r / floor).toFixed(2)} |`),
    "",
    `Default streaming decoder in src/layer/compression.ts: **${defaultZstdDecoder}**.`,
    "",
  ];
  return lines.join("\n");
}

if (import.meta.main) console.log(await run());
