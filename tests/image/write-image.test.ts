// The store's one write path (src/image/write): every source hands it an
// Image; what it checks and what it leaves behind, whichever source it is.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/index.ts";
import { sha256Of, type Digest } from "../../src/store/digest.ts";
import { chainIds, type ImageConfig } from "../../src/image/config.ts";
import { storedLayer, streamedLayer } from "../../src/image/model.ts";
import { withWriteSession } from "../../src/image/session.ts";
import { storeImage } from "../../src/image/write/write-image.ts";
import { createLayeredImage } from "../../src/image/import.ts";
import { manifestFor, storedLayers } from "../../src/image/stored.ts";
import { MediaType } from "../../src/image/media-types.ts";
import { item, tarBytes } from "../fixtures/tar-layers.ts";
import { consistencyProblems, storeState } from "../fixtures/image-store-state.ts";

const dir = mkdtempSync("/tmp/berth-test-write-image-");
let store: Store;
let one: Uint8Array;
let two: Uint8Array;
beforeAll(async () => {
  store = await openStore(join(dir, "store"));
  one = await tarBytes([item("a", "dir"), item("a/file", "file", { content: "one" })]);
  two = await tarBytes([item("b", "file", { content: "two" }), item("a/.wh.file", "file")]);
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = (diffIds: Digest[] = []): ImageConfig => ({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: diffIds } });
const once = (b: Uint8Array) => (async function* () { yield b; })();

async function ingest(bytes: Uint8Array): Promise<{ digest: Digest; size: number }> {
  const r = await store.blobs.ingest(bytes);
  return { digest: r.digest, size: r.size };
}

describe("writeImage", () => {
  test("streamed layers: the config gets their diff IDs, the blobs are kept as they came", async () => {
    const gz = gzipSync(two);
    const id = await withWriteSession(store, (s) =>
      storeImage(s, { config: base(), layers: [streamedLayer(once(one)), streamedLayer(once(gz))] }, [{ name: "docker.io/library/w:streamed", kind: "tag" }]),
    );
    const config = await store.blobs.readJson<ImageConfig>(id);
    expect(config.rootfs.diff_ids).toEqual([sha256Of(one), sha256Of(two)]);
    const layers = store.images.layersOf(id);
    expect(layers.map((l) => l.chain_id)).toEqual(chainIds([sha256Of(one), sha256Of(two)]));
    expect(store.images.blobsOfLayer(sha256Of(two))).toEqual([{ digest: sha256Of(gz), media_type: MediaType.OciLayerGzip, size: gz.byteLength }]);
    expect(consistencyProblems(store)).toEqual([]);
  });

  test("the same image from stored blobs (load) and through the old name (commit, build) gets the same ID", async () => {
    const config = new TextEncoder().encode(JSON.stringify(base([sha256Of(one)])));
    const cfg = await ingest(config);
    const blob = await ingest(one);
    const loaded = await withWriteSession(store, (s) =>
      storeImage(s, { config: JSON.parse(new TextDecoder().decode(config)), configBlob: cfg, layers: [storedLayer(store, undefined, blob)] }),
    );
    expect(loaded).toBe(cfg.digest);
    const viaAlias = await withWriteSession(store, (s) => createLayeredImage(s, once(one), base(), "docker.io/library/w:alias"));
    expect(viaAlias).toBe(sha256Of(new TextEncoder().encode(JSON.stringify(base([sha256Of(one)])))));
    expect(store.images.getRef("docker.io/library/w:alias")?.image_id).toBe(viaAlias);
  });

  test("a layer that is not what the config names is refused, before and after its snapshot exists, and leaves nothing", async () => {
    const other = await tarBytes([item("c", "file", { content: "not the layer the config names" })]);
    const cfgBytes = new TextEncoder().encode(JSON.stringify(base([sha256Of(other)])));
    const cfg = await ingest(cfgBytes);
    const wrong = await ingest(one); // already a snapshot of its own (test above)
    const before = storeState(store);
    const write = (layer: ReturnType<typeof storedLayer>) =>
      withWriteSession(store, (s) => storeImage(s, { config: base([sha256Of(other)]), configBlob: cfg, layers: [layer] }));
    const message = `layer content does not match the image config: expected diff ID ${sha256Of(other)}, got ${sha256Of(one)}`;
    // No snapshot for the named diff ID: the content is refused before it is installed.
    await expect(write(storedLayer(store, undefined, wrong))).rejects.toThrow(message);
    expect(storeState(store).layers).toEqual(before.layers);
    // The named snapshot exists now; a blob offered for it must still prove it holds that layer.
    await withWriteSession(store, (s) => storeImage(s, { config: base(), layers: [streamedLayer(once(other))] }, [{ name: "docker.io/library/w:other", kind: "tag" }]));
    const gz = await ingest(gzipSync(one));
    await expect(write(storedLayer(store, undefined, gz))).rejects.toThrow(message);
    expect(store.images.blobsOfLayer(sha256Of(other)).map((b) => b.digest)).not.toContain(gz.digest);
    expect(consistencyProblems(store).filter((p) => !p.startsWith("unreferenced blob"))).toEqual([]);
  });

  test("a stored layer gives its bytes as stored and as the tar its diff ID names", async () => {
    const id = store.images.getRef("docker.io/library/w:streamed")!.image_id;
    const [, top] = storedLayers(store, id);
    const read = async (s: AsyncIterable<Uint8Array>) => {
      const parts: Uint8Array[] = [];
      for await (const c of s) parts.push(c);
      return new Uint8Array(Buffer.concat(parts));
    };
    expect(top!.mediaType).toBe(MediaType.OciLayerGzip);
    expect(sha256Of(await read(top!.compressed()))).toBe(top!.digest!);
    expect(sha256Of(await read(top!.uncompressed()))).toBe(top!.diffId!);
    expect(top!.diffId).toBe(sha256Of(two));
  });

  test("save and push describe a stored image with one manifest: Docker types stay Docker, others OCI", async () => {
    const id = store.images.getRef("docker.io/library/w:streamed")!.image_id;
    const m = await manifestFor(store, id, "push");
    expect(m.mediaType).toBe(MediaType.OciManifest);
    expect(m.digest).toBe(sha256Of(m.bytes));
    expect(m.layers.map((l) => l.mediaType)).toEqual([MediaType.OciLayer, MediaType.OciLayerGzip]);
    expect(m.config).toEqual({ mediaType: MediaType.OciConfig, digest: id, size: store.images.get(id)!.config_size });
    expect(await manifestFor(store, id, "save")).toEqual(m);

    const docker = await ingest(gzipSync(await tarBytes([item("docker-typed", "file", { content: "d" })])));
    const dockerId = await withWriteSession(store, (s) =>
      storeImage(s, { config: base(), layers: [storedLayer(store, undefined, { ...docker, mediaType: MediaType.DockerLayerGzip })] }, [{ name: "docker.io/library/w:docker", kind: "tag" }]),
    );
    const d = await manifestFor(store, dockerId, "save");
    expect([d.mediaType, d.config.mediaType, d.layers[0]!.mediaType]).toEqual([MediaType.DockerManifest, MediaType.DockerConfig, MediaType.DockerLayerGzip]);
  });
});
