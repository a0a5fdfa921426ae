// A blob read for a caller that is done with each chunk before it asks for the
// next (a pull writing to its blob file): each chunk's memory is freed as the
// next is asked for, so the download reuses the same pages instead of taking
// fresh ones per chunk. The bytes and the digest check are unchanged, also
// across a resumed connection; memory that is not wholly a chunk's own is never freed.
import { afterAll, describe, expect, test } from "bun:test";
import { RegistryClient } from "../../src/registry/client/index.ts";
import { freeChunk } from "../../src/shared/free-chunk.ts";
import { listen, randomBlob, staticRegistry, type FakeServer } from "./fake-servers.ts";
import { sha256 } from "./helpers.ts";

const servers: FakeServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop().catch(() => {});
});

describe("freeChunk", () => {
  test("frees a chunk that is its whole buffer", () => {
    const c = new Uint8Array(4096).fill(7);
    freeChunk(c);
    expect(c.byteLength).toBe(0);
  });

  test("leaves views into a larger buffer and shared memory alone", () => {
    const big = new Uint8Array(8192).fill(1);
    const view = big.subarray(0, 4096);
    freeChunk(view);
    expect(view.byteLength).toBe(4096);
    const tail = big.subarray(4096);
    freeChunk(tail);
    expect(tail.byteLength).toBe(4096);
    const shared = new Uint8Array(new SharedArrayBuffer(1024)).fill(3);
    freeChunk(shared);
    expect(shared.byteLength).toBe(1024);
    expect(shared[1023]).toBe(3);
  });
});

async function readTransient(host: string, blob: { digest: string; bytes: Uint8Array }, opts: { retries?: number } = {}) {
  const repo = new RegistryClient({ credentials: {}, retryDelayMs: 5, retries: opts.retries }).repository(`${host}/x/y`);
  const copies: Uint8Array[] = [];
  const seen: Uint8Array[] = [];
  for await (const c of repo.blob({ digest: blob.digest, size: blob.bytes.length }, { transient: true })) {
    copies.push(Uint8Array.from(c)); // a consumer that keeps the bytes copies them
    seen.push(c);
  }
  return { bytes: Buffer.concat(copies), seen };
}

describe("a transient blob read", () => {
  test("gives the blob's bytes and frees every chunk once the next is asked for", async () => {
    const blob = randomBlob(3 << 20);
    const s = await listen(staticRegistry({ blobs: new Map([[blob.digest, blob.bytes]]) }));
    servers.push(s);
    const { bytes, seen } = await readTransient(s.host, blob);
    expect(sha256(bytes)).toBe(blob.digest);
    expect(seen.length).toBeGreaterThan(1);
    // All but the last were handed back before the next was read; the last when the reader ended.
    expect(seen.filter((c) => c.byteLength > 0)).toEqual([]);
  });

  test("a resumed download still checks the digest; a wrong blob is still refused", async () => {
    const blob = randomBlob(1 << 20);
    const cutting = await listen(staticRegistry({ blobs: new Map([[blob.digest, blob.bytes]]), cut: (_d, _r, n) => (n === 1 ? 300_000 : undefined) }));
    servers.push(cutting);
    expect(sha256((await readTransient(cutting.host, blob)).bytes)).toBe(blob.digest);
    const other = randomBlob(1 << 20);
    const lying = await listen(staticRegistry({ blobs: new Map([[blob.digest, other.bytes]]) }));
    servers.push(lying);
    await expect(readTransient(lying.host, blob, { retries: 0 })).rejects.toThrow(/digest mismatch/);
  });
});
