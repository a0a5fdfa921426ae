// Loading docker-archive and OCI archives written by skopeo from a umoci
// image; save → load round trips; skopeo reads what save writes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/index.ts";
import { loadArchive } from "../../src/image/archive/load.ts";
import { saveImages } from "../../src/image/archive/save.ts";
import { createImageService } from "../../src/daemon/images.ts";
import { makeImageFixtures, requireTools, type ImageFixtures } from "../fixtures/image-busybox.ts";

const dir = mkdtempSync("/tmp/berth-test-archive-");
let fx: ImageFixtures | undefined;
const stores: Store[] = [];

beforeAll(async () => {
  if (requireTools()) fx = await makeImageFixtures(dir);
});
afterAll(() => {
  for (const s of stores) s.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function freshStore(): Promise<Store> {
  const s = await openStore(join(dir, `store-${n++}`));
  stores.push(s);
  return s;
}

function file(path: string): ReadableStream<Uint8Array> {
  return Bun.file(path).stream();
}

async function skopeoInspect(ref: string): Promise<any> {
  return JSON.parse(await $`skopeo inspect ${ref}`.text());
}

function checkSnapshotContent(store: Store, id: string) {
  const layers = store.images.layersOf(id);
  expect(layers.length).toBe(2);
  const l0 = store.snapshots.diffPath(layers[0]!.chain_id);
  expect(statSync(join(l0, "bin/busybox")).size).toBe(statSync("/bin/busybox").size);
  expect(readlinkSync(join(l0, "bin/sh"))).toBe("busybox");
  expect(readFileSync(join(l0, "etc/motd"), "utf8")).toBe("hello from berth tests\n");
  // layer 2 holds the whiteout in overlay form: a 0:0 character device
  const wh = statSync(join(store.snapshots.diffPath(layers[1]!.chain_id), "etc/remove-me"));
  expect(wh.isCharacterDevice()).toBe(true);
  expect(wh.rdev).toBe(0);
}

describe("load", () => {
  test("docker-archive (skopeo, legacy layout with symlinked layers)", async () => {
    if (!fx) return;
    const store = await freshStore();
    const r = await loadArchive(store, file(fx.dockerArchive));
    expect(r.lines).toEqual(["Loaded image: busybox:test"]);
    const id = r.images[0]!.id;
    const want = await skopeoInspect(`docker-archive:${fx.dockerArchive}`);
    const svc = createImageService(store);
    const inspect = await svc.inspect("busybox:test");
    expect(inspect.Id).toBe(id);
    expect((inspect.RootFS as any).Layers).toEqual(want.LayersData?.map((l: any) => l.Digest) ?? (inspect.RootFS as any).Layers);
    expect((inspect.Config as any).Cmd).toEqual(["/bin/sh"]);
    expect((inspect.Config as any).Env).toContain("FOO=bar");
    expect(inspect.RepoTags).toEqual(["busybox:test"]);
    checkSnapshotContent(store, id);
  });

  test("OCI archive (skopeo oci-archive from umoci)", async () => {
    if (!fx) return;
    const store = await freshStore();
    const r = await loadArchive(store, file(fx.ociArchive));
    expect(r.lines).toEqual(["Loaded image: busybox:oci"]);
    const id = r.images[0]!.id;
    const ociIndex = JSON.parse(readFileSync(join(fx.ociDir, "index.json"), "utf8"));
    const manifestDigest = ociIndex.manifests[0].digest;
    // the OCI manifest digest is kept
    expect(store.images.manifestsOf(id).map((m) => m.digest)).toEqual([manifestDigest]);
    checkSnapshotContent(store, id);
    expect(readdirSync(join(store.root, "tmp"))).toEqual([]);
  });
});

describe("save", () => {
  test("save → load keeps config, layer and manifest digests; skopeo reads both views", async () => {
    if (!fx) return;
    const a = await freshStore();
    const loaded = await loadArchive(a, file(fx.ociArchive));
    const id = loaded.images[0]!.id;
    const manifestBefore = a.images.manifestsOf(id).map((m) => m.digest);
    const layerBlobsBefore = a.images.layersOf(id).map((l) => a.images.blobsOfLayer(l.diff_id)[0]!.digest);
    const out = join(dir, "saved.tar");
    await Bun.write(out, new Response(await saveImages(a, [{ id, tags: ["docker.io/library/busybox:oci"] }])));

    const asDocker = await skopeoInspect(`docker-archive:${out}`);
    expect(asDocker.Digest === undefined || typeof asDocker.Digest === "string").toBe(true);
    expect(asDocker.Env).toContain("FOO=bar");
    const asOci = await skopeoInspect(`oci-archive:${out}`);
    expect(asOci.Digest).toBe(manifestBefore[0]);
    expect(asOci.Layers).toEqual(layerBlobsBefore);

    const b = await freshStore();
    const again = await loadArchive(b, file(out));
    expect(again.images[0]!.id).toBe(id);
    expect(again.lines).toEqual(["Loaded image: busybox:oci"]);
    expect(b.images.manifestsOf(id).map((m) => m.digest)).toEqual(manifestBefore);
    expect(b.images.layersOf(id).map((l) => b.images.blobsOfLayer(l.diff_id)[0]!.digest)).toEqual(layerBlobsBefore);
    checkSnapshotContent(b, id);
  });

  test("an image loaded from a legacy docker-archive saves and loads back with the same ID", async () => {
    if (!fx) return;
    const a = await freshStore();
    const { images } = await loadArchive(a, file(fx.dockerArchive));
    const svc = createImageService(a);
    const out = join(dir, "saved2.tar");
    await Bun.write(out, new Response(await svc.save(["busybox"])));
    const asDocker = await skopeoInspect(`docker-archive:${out}`);
    expect(asDocker.Env).toContain("FOO=bar");
    const b = await freshStore();
    const r = await loadArchive(b, file(out));
    expect(r.images[0]!.id).toBe(images[0]!.id);
    expect(r.lines).toEqual(["Loaded image: busybox:test"]);
  });
});

