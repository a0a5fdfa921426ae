// LocalImageService: hello-world seed, lookup by ID/prefix/name/digest, tag,
// inspect shape, rmi refusals and deletion.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/index.ts";
import { createImageService, type LocalImageService } from "../../src/daemon/images.ts";
import { HELLO_WORLD_TAG, seedBuiltinImages } from "../../src/image/seed.ts";
import { consistencyProblems } from "../fixtures/image-store-state.ts";

const dir = mkdtempSync("/tmp/berth-test-images-");
let store: Store;
let svc: LocalImageService;
let inUse: string[] = [];
beforeAll(async () => {
  store = await openStore(join(dir, "store"));
  await seedBuiltinImages(store);
  svc = createImageService(store, { isImageInUse: () => inUse });
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("image service", () => {
  test("a fresh store holds hello-world:latest for this architecture", async () => {
    const list = await svc.list({});
    expect(list.map((i) => i.RepoTags)).toEqual([["hello-world:latest"]]);
    const inspect = await svc.inspect("hello-world");
    expect((inspect.Config as any).Cmd).toEqual(["/hello"]);
    expect(inspect.Architecture).toBe(process.arch === "arm64" ? "arm64" : "amd64");
    expect(inspect.Os).toBe("linux");
    for (const k of ["Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "Container", "ContainerConfig", "DockerVersion", "Author", "Config", "Architecture", "Os", "Size", "VirtualSize", "GraphDriver", "RootFS", "Metadata"]) {
      expect(inspect).toHaveProperty(k);
    }
    expect((inspect.GraphDriver as any).Name).toBe("overlay2");
    expect((inspect.RootFS as any).Type).toBe("layers");
    const [layer] = store.images.layersOf(inspect.Id);
    expect(readdirSync(store.snapshots.diffPath(layer!.chain_id))).toEqual(["hello"]);
  });

  test("the seed is reproducible: same ID in every fresh store", async () => {
    const other = await openStore(join(dir, "other"));
    try {
      await seedBuiltinImages(other);
      expect(other.images.getRef(HELLO_WORLD_TAG)!.image_id).toBe(store.images.getRef(HELLO_WORLD_TAG)!.image_id);
    } finally {
      other.close();
    }
  });

  test("lookup by full ID, short ID, sha256: prefix, name, name:tag", async () => {
    const id = store.images.getRef(HELLO_WORLD_TAG)!.image_id;
    const hex = id.slice(7);
    for (const name of [id, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 8)}`, "hello-world", "hello-world:latest", "docker.io/library/hello-world"]) {
      expect(svc.resolve(name)).toBe(id);
    }
    expect(() => svc.resolve("nope")).toThrow("No such image: nope:latest");
    expect(() => svc.resolve("hello-world:other")).toThrow("No such image: hello-world:other");
    expect(() => svc.resolve("0000000000")).toThrow("No such image: 0000000000");
  });

  test("tag, and rmi refusals with Docker's words", async () => {
    const id = svc.resolve("hello-world");
    await svc.tag("hello-world", "myrepo/hello", "v1");
    await svc.tag(id, "otherrepo", "");
    expect((await svc.inspect(id)).RepoTags).toEqual(["hello-world:latest", "otherrepo:latest", "myrepo/hello:v1"]);
    const short = id.slice(7, 19);
    await expect(svc.remove(short, {})).rejects.toThrow(
      `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
    );
    expect(await svc.remove("otherrepo", {})).toEqual([{ Untagged: "otherrepo:latest" }]);
    expect(await svc.remove("myrepo/hello:v1", {})).toEqual([{ Untagged: "myrepo/hello:v1" }]);
    inUse = ["c0ffee0123456789abcdef"];
    await expect(svc.remove("hello-world", {})).rejects.toThrow(
      `conflict: unable to remove repository reference "hello-world" (must force) - container c0ffee012345 is using its referenced image ${short}`,
    );
    inUse = [];
    const res = await svc.remove("hello-world", {});
    expect(res[0]).toEqual({ Untagged: "hello-world:latest" });
    expect(res[1]).toEqual({ Deleted: id });
    expect(await svc.list({})).toEqual([]);
    expect(readdirSync(store.snapshots.dir)).toEqual([]);
    expect(consistencyProblems(store)).toEqual([]);
    expect(readdirSync(store.blobs.dir)).toEqual([]);
  });

  test("a removed hello-world is not seeded again on reopen", async () => {
    store.close();
    store = await openStore(join(dir, "store"));
    await seedBuiltinImages(store);
    svc = createImageService(store);
    expect(await svc.list({})).toEqual([]);
  });
});
