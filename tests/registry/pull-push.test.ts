// Pull into the local store (platform choice, streamed download + apply,
// progress, abort and corruption leave nothing behind) and push from it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/index.ts";
import { RegistryClient } from "../../src/registry/client/index.ts";
import { pullImage } from "../../src/registry/pull.ts";
import { pushImage } from "../../src/registry/push.ts";
import type { RegistryProgress } from "../../src/registry/progress.ts";
import { buildImage, hostArch, requireTools, skopeoOk, startBerthRegistry, startDockerRegistry, type RunningRegistry } from "./helpers.ts";
import { proxyRegistry } from "./fake-servers.ts";

const dir = mkdtempSync("/tmp/berth-test-registry-pull-");
let ok = false;
let berth: RunningRegistry;
let dr: RunningRegistry;
let store: Store;
let indexDigest: string;
const stops: (() => Promise<void>)[] = [];
const tlsOff = ["--src-tls-verify=false", "--dest-tls-verify=false"];
const client = () => new RegistryClient({ credentials: {}, retryDelayMs: 10 });

beforeAll(async () => {
  ok = requireTools();
  if (!ok) return;
  berth = await startBerthRegistry(join(dir, "berth-root"));
  dr = await startDockerRegistry(join(dir, "dr"));
  stops.push(berth.stop, dr.stop);
  const img = await buildImage(join(dir, "img"));
  const arm = await buildImage(join(dir, "img"), { tag: "arm", arch: "arm64" });
  await skopeoOk(["copy", "--quiet", ...tlsOff, img, `docker://${berth.host}/test/img:v1`]);
  const zdir = join(dir, "zstd");
  await skopeoOk(["copy", "--quiet", "--dest-compress", "--dest-compress-format", "zstd", img, `oci:${zdir}:z`]);
  await skopeoOk(["copy", "--quiet", ...tlsOff, "--preserve-digests", `oci:${zdir}:z`, `docker://${berth.host}/test/zstd:v1`]);
  // A two-platform index on docker-registry.
  const entries = [];
  for (const [arch, src] of [["amd64", img], ["arm64", arm]] as const) {
    await skopeoOk(["copy", "--quiet", ...tlsOff, src, `docker://${dr.host}/multi/img:${arch}`]);
    const h = await fetch(`${dr.url}/v2/multi/img/manifests/${arch}`, { method: "HEAD", headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
    entries.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: h.headers.get("docker-content-digest"), size: Number(h.headers.get("content-length")), platform: { os: "linux", architecture: arch } });
  }
  const index = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: entries });
  const put = await fetch(`${dr.url}/v2/multi/img/manifests/v1`, { method: "PUT", headers: { "Content-Type": "application/vnd.oci.image.index.v1+json" }, body: index });
  if (put.status !== 201) throw new Error(`index push failed: ${put.status} ${await put.text()}`);
  indexDigest = put.headers.get("docker-content-digest")!;
  store = await openStore(join(dir, "store"));
});

afterAll(async () => {
  store?.close();
  for (const s of stops) await s().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

/** What the store holds on disk, to prove a failed pull left nothing. */
function storeFiles(): { blobs: string[]; layers: string[]; tmp: string[] } {
  const root = join(dir, "store");
  return { blobs: readdirSync(join(root, "blobs/sha256")).sort(), layers: readdirSync(join(root, "layers")).sort(), tmp: readdirSync(join(root, "tmp")) };
}

describe("pull into the store", () => {
  test("pulls an image: progress events, snapshots applied, tag and digest refs", async () => {
    if (!ok) return;
    const events: RegistryProgress[] = [];
    const r = await pullImage(store, client(), `${berth.host}/test/img:v1`, { onProgress: (e) => events.push(e) });
    expect(r.status).toBe(`Downloaded newer image for ${berth.host}/test/img:v1`);
    expect(store.images.get(r.id)).toBeDefined();
    expect(store.images.getRef(`${berth.host}/test/img:v1`)?.image_id).toBe(r.id);
    expect(store.images.getRef(`${berth.host}/test/img@${r.digest}`)?.kind).toBe("digest");
    const layers = store.images.layersOf(r.id);
    expect(layers).toHaveLength(2);
    expect(readFileSync(join(store.snapshots.diffPath(layers[0]!.chain_id), "etc/hello"), "utf8")).toBe("hello latest\n");
    expect(readFileSync(join(store.snapshots.diffPath(layers[1]!.chain_id), "etc/second"), "utf8")).toBe("second layer latest\n");
    const statuses = new Set(events.map((e) => e.status));
    for (const s of ["Pulling from test/img", "Pulling fs layer", "Downloading", "Verifying Checksum", "Download complete", "Extracting", "Pull complete", `Digest: ${r.digest}`]) {
      expect(statuses.has(s)).toBe(true);
    }
    const dl = events.find((e) => e.status === "Downloading")!;
    expect(dl.id).toMatch(/^[0-9a-f]{12}$/);
    expect(dl.progressDetail!.total).toBeGreaterThan(0);
    expect(store.images.manifestsOf(r.id)[0]!.digest).toBe(r.digest);
    expect(store.blobs.has(r.digest)).toBe(true);

    const again = await pullImage(store, client(), `${berth.host}/test/img:v1`);
    expect(again.status).toBe(`Image is up to date for ${berth.host}/test/img:v1`);
  });

  test("picks the platform from an index (default: the host)", async () => {
    if (!ok) return;
    const host = await pullImage(store, client(), `${dr.host}/multi/img:v1`);
    expect(store.images.get(host.id)!.architecture).toBe(hostArch());
    expect(host.digest).toBe(indexDigest as `sha256:${string}`);
    const events: RegistryProgress[] = [];
    const arm = await pullImage(store, client(), `${dr.host}/multi/img:v1`, { platform: "linux/arm64", onProgress: (e) => events.push(e) });
    expect(store.images.get(arm.id)!.architecture).toBe("arm64");
    expect(arm.id).not.toBe(host.id);
    expect(store.images.getRef(`${dr.host}/multi/img@${indexDigest}`)?.image_id).toBe(arm.id);
    await expect(pullImage(store, client(), `${dr.host}/multi/img:v1`, { platform: "linux/s390x" })).rejects.toThrow("no matching manifest for linux/s390x in the manifest list entries");
    // A single-platform image must match an explicit --platform.
    await expect(pullImage(store, client(), `${berth.host}/test/img:v1`, { platform: "linux/s390x" })).rejects.toThrow(
      `image with reference ${berth.host}/test/img:v1 was found but does not match the specified platform: wanted linux/s390x, actual: linux/${hostArch()}`,
    );
  });

  test("pulls zstd layers", async () => {
    if (!ok) return;
    const r = await pullImage(store, client(), `${berth.host}/test/zstd:v1`);
    const layers = store.images.layersOf(r.id);
    expect(readFileSync(join(store.snapshots.diffPath(layers[1]!.chain_id), "etc/second"), "utf8")).toBe("second layer latest\n");
  });

  test("layers already in the store are not downloaded again", async () => {
    if (!ok) return;
    // Same layers under another name on another registry.
    await skopeoOk(["copy", "--quiet", ...tlsOff, `docker://${berth.host}/test/img:v1`, `docker://${dr.host}/copy/img:v1`]);
    const events: RegistryProgress[] = [];
    await pullImage(store, client(), `${dr.host}/copy/img:v1`, { onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.status === "Already exists")).toHaveLength(2);
    expect(events.some((e) => e.status === "Downloading")).toBe(false);
  });

  test("abort mid-download and corrupt blobs leave no blob, snapshot or temp file", async () => {
    if (!ok) return;
    // A fresh image so no layer is in the store yet.
    const fresh = await buildImage(join(dir, "img-fresh"), { tag: "fresh", marker: "fresh" });
    await skopeoOk(["copy", "--quiet", ...tlsOff, fresh, `docker://${berth.host}/test/fresh:v1`]);
    const before = storeFiles();

    const slow = await proxyRegistry(berth.url, { delayMs: 30 });
    stops.push(slow.stop);
    const abort = new AbortController();
    const p = pullImage(store, client(), `${slow.host}/test/fresh:v1`, {
      signal: abort.signal,
      onProgress: (e) => { if (e.status === "Downloading") abort.abort(new Error("cancelled by test")); },
    });
    await expect(p).rejects.toThrow();
    expect(storeFiles()).toEqual(before);
    expect(store.images.getRef(`${slow.host}/test/fresh:v1`)).toBeUndefined();

    const liar = await proxyRegistry(berth.url, { corrupt: (url) => url.includes("/blobs/") });
    stops.push(liar.stop);
    const e = await pullImage(store, client(), `${liar.host}/test/fresh:v1`).catch((x) => x);
    expect(String(e?.message)).toMatch(/digest mismatch/);
    expect(storeFiles()).toEqual(before);
    await slow.stop();
    await liar.stop();
  });

  test("unknown tag: Docker's wording", async () => {
    if (!ok) return;
    await expect(pullImage(store, client(), `${berth.host}/test/img:missing`)).rejects.toThrow(
      `manifest for ${berth.host}/test/img:missing not found: manifest unknown: manifest unknown`,
    );
  });
});

describe("push from the store", () => {
  test("pushes the stored manifest byte for byte; again → Layer already exists; another repo → mounted", async () => {
    if (!ok) return;
    const pulled = await pullImage(store, client(), `${berth.host}/test/img:v1`);
    const manifestDigest = store.images.manifestsOf(pulled.id)[0]!.digest;
    const target = `${dr.host}/pushed/img:v1`;
    store.images.setRef(target, "tag", pulled.id);
    const events: RegistryProgress[] = [];
    const r = await pushImage(store, client(), target, { onProgress: (e) => events.push(e), chunkSize: 100 << 10 });
    expect(r.digest).toBe(manifestDigest);
    expect(r.status).toBe(`v1: digest: ${manifestDigest} size: ${r.size}`);
    expect(events[0]!.status).toBe(`The push refers to repository [${dr.host}/pushed/img]`);
    // The store also tags this image as copy/img on the same registry (an earlier test): mounts are fair.
    expect(events.filter((e) => /^(Pushed|Mounted from copy\/img)$/.test(e.status))).toHaveLength(2);
    const info = JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", `docker://${target}`]));
    expect(info.Digest).toBe(manifestDigest);
    await skopeoOk(["copy", "--quiet", ...tlsOff, `docker://${target}`, `oci:${join(dir, "pushed-back")}:v1`]);

    const again: RegistryProgress[] = [];
    await pushImage(store, client(), target, { onProgress: (e) => again.push(e) });
    expect(again.filter((e) => e.status === "Layer already exists")).toHaveLength(2);

    const other = `${dr.host}/other/img:v1`;
    store.images.setRef(other, "tag", pulled.id);
    const mounted: RegistryProgress[] = [];
    await pushImage(store, client(), other, { onProgress: (e) => mounted.push(e) });
    expect(mounted.filter((e) => /^Mounted from (pushed|copy)\/img$/.test(e.status))).toHaveLength(2);
    expect(existsSync(join(dir, "pushed-back/index.json"))).toBe(true);
  });

  test("pushes an image with no stored manifest (a new one over the stored blobs), chunked", async () => {
    if (!ok) return;
    const pulled = await pullImage(store, client(), `${berth.host}/test/fresh:v1`);
    // Forget the stored manifest: push must describe the blobs itself.
    store.db.query("DELETE FROM manifests WHERE image_id = ?").run(pulled.id);
    const target = `${berth.host}/rebuilt/img:v1`;
    store.images.setRef(target, "tag", pulled.id);
    store.images.deleteRef(`${berth.host}/test/fresh:v1`);
    store.images.deleteRef(`${berth.host}/test/fresh@${pulled.digest}`);
    const events: RegistryProgress[] = [];
    const r = await pushImage(store, client(), target, { chunkSize: 64 << 10, onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.status === "Pushed")).toHaveLength(2);
    expect(r.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    const info = JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", `docker://${target}`]));
    expect(info.Digest).toBe(r.digest);
    const back = await pullImage(store, client(), target);
    expect(back.id).toBe(pulled.id);
  });

  test("pushing a name with no local image: Docker's wording", async () => {
    if (!ok) return;
    await expect(pushImage(store, client(), `${dr.host}/nothing/here:v1`)).rejects.toThrow(`An image does not exist locally with the tag: ${dr.host}/nothing/here`);
  });
});
