// Bad archives are refused with a clear error and leave the store unchanged.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/index.ts";
import { loadArchive } from "../../src/image/archive/load.ts";
import { makeImageFixtures, requireTools, type ImageFixtures } from "../fixtures/image-busybox.ts";
import { consistencyProblems, storeState } from "../fixtures/image-store-state.ts";

const dir = mkdtempSync("/tmp/berth-test-archive-errors-");
let fx: ImageFixtures | undefined;
let store: Store;
let n = 0;

beforeAll(async () => {
  if (!requireTools()) return;
  fx = await makeImageFixtures(dir);
  store = await openStore(join(dir, "store"));
  await loadArchive(store, Bun.file(fx.dockerArchive).stream());
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Extracts the OCI archive, lets `edit` change the layout, re-tars it. */
async function variant(edit: (layout: string) => void): Promise<string> {
  const layout = join(dir, `v${n}`);
  mkdirSync(layout);
  await $`tar -xf ${fx!.ociArchive} -C ${layout}`.quiet();
  edit(layout);
  const out = join(dir, `v${n++}.tar`);
  await $`tar -cf ${out} -C ${layout} .`.quiet();
  return out;
}

const sha = (b: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(b).digest("hex");
const blobFile = (layout: string, digest: string) => join(layout, "blobs/sha256", digest.slice(7));

function readManifest(layout: string) {
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  const desc = index.manifests[0];
  return { index, desc, manifest: JSON.parse(readFileSync(blobFile(layout, desc.digest), "utf8")) };
}

function writeManifest(layout: string, index: any, manifest: any) {
  const bytes = JSON.stringify(manifest);
  const hex = sha(bytes);
  writeFileSync(join(layout, "blobs/sha256", hex), bytes);
  index.manifests[0].digest = `sha256:${hex}`;
  index.manifests[0].size = Buffer.byteLength(bytes);
  writeFileSync(join(layout, "index.json"), JSON.stringify(index));
}

async function expectRefused(path: string, message: RegExp) {
  const before = storeState(store);
  await expect(loadArchive(store, Bun.file(path).stream())).rejects.toThrow(message);
  expect(storeState(store)).toEqual(before);
  expect(consistencyProblems(store)).toEqual([]);
}

describe("refused archives", () => {
  test("a blob whose bytes do not match its digest", async () => {
    if (!fx) return;
    const p = await variant((l) => {
      const { manifest } = readManifest(l);
      const f = blobFile(l, manifest.layers[0].digest);
      const b = readFileSync(f);
      b[b.length - 100] ^= 0xff;
      writeFileSync(f, b);
    });
    await expectRefused(p, /digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}/);
  });

  test("corrupt archive", async () => {
    if (!fx) return;
    const p = join(dir, "corrupt.tar");
    const b = readFileSync(fx.ociArchive);
    b.fill(0x41, 100, 160); // scribble over the first header (always a header, whatever the layout)
    writeFileSync(p, b);
    await expectRefused(p, /invalid|corrupt|checksum|digest mismatch/);
  });

  test("truncated archive", async () => {
    if (!fx) return;
    const p = join(dir, "truncated.tar");
    const b = readFileSync(fx.ociArchive);
    writeFileSync(p, b.subarray(0, Math.floor(b.length / 2)));
    await expectRefused(p, /truncated|unexpected end/);
  });

  test("not a tar at all", async () => {
    if (!fx) return;
    const p = join(dir, "garbage.tar");
    writeFileSync(p, "this is not an archive\n".repeat(100));
    await expectRefused(p, /invalid/);
  });

  test("unknown layer media type", async () => {
    if (!fx) return;
    const p = await variant((l) => {
      const { index, manifest } = readManifest(l);
      manifest.layers[1].mediaType = "application/vnd.example.unknown";
      writeManifest(l, index, manifest);
    });
    await expectRefused(p, /unsupported layer media type: application\/vnd.example.unknown/);
  });

  test("missing blob", async () => {
    if (!fx) return;
    const p = await variant((l) => {
      const { manifest } = readManifest(l);
      unlinkSync(blobFile(l, manifest.layers[1].digest));
    });
    await expectRefused(p, /missing blob sha256:[0-9a-f]{64} \(layer 2 of 2\)/);
  });

  test("layer content that does not match the config's diff ID", async () => {
    if (!fx) return;
    const p = await variant((l) => {
      const { index, manifest } = readManifest(l);
      // swap the two layers: every digest is right, the content is not what the config says
      [manifest.layers[0], manifest.layers[1]] = [manifest.layers[1], manifest.layers[0]];
      writeManifest(l, index, manifest);
    });
    await expectRefused(p, /diff ID/);
  });

  test("no manifest.json or index.json", async () => {
    if (!fx) return;
    const p = await variant((l) => {
      unlinkSync(join(l, "index.json"));
    });
    await expectRefused(p, /no manifest.json or index.json/);
  });
});

