// berth's registry server against real clients: skopeo pushes and pulls
// (OCI and Docker media types, zstd layers, multi-platform indexes), the
// distribution API's error codes, uploads, auth, TLS and garbage collection.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
import { gc } from "../../src/registry/server/index.ts";
import { buildImage, requireTools, sha256, skopeo, skopeoOk, startBerthRegistry, startDockerRegistry, type RunningRegistry } from "./helpers.ts";

const dir = mkdtempSync("/tmp/berth-test-registry-server-");
let ok = false;
let berth: RunningRegistry;
let root: string;
let image: string;
const tlsOff = ["--src-tls-verify=false", "--dest-tls-verify=false"];
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ok = requireTools();
  if (!ok) return;
  root = join(dir, "berth-root");
  berth = await startBerthRegistry(root);
  stops.push(berth.stop);
  image = await buildImage(join(dir, "img"));
});

afterAll(async () => {
  for (const s of stops) await s().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const api = (path: string, init?: RequestInit) => fetch(`${berth.url}${path}`, init);
/** A GET with the path exactly as given. */
function rawGet(host: string, path: string): Promise<string> {
  const [h, p] = host.split(":");
  return new Promise((resolve, reject) => {
    const sock = connect(Number(p), h!, () => sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let out = "";
    sock.on("data", (d) => (out += d.toString()));
    sock.on("end", () => resolve(out));
    sock.on("error", reject);
  });
}
const errCode = async (r: Response) => ((await r.json()) as { errors: { code: string }[] }).errors[0]!.code;

describe("registry server with skopeo", () => {
  test("push and pull an OCI image (umoci's manifests have no mediaType)", async () => {
    if (!ok) return;
    await skopeoOk(["copy", "--quiet", ...tlsOff, image, `docker://${berth.host}/test/oci:v1`]);
    const raw = JSON.parse(await skopeoOk(["inspect", "--raw", "--tls-verify=false", `docker://${berth.host}/test/oci:v1`]));
    expect(raw.layers).toHaveLength(2);
    const info = JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", `docker://${berth.host}/test/oci:v1`]));
    expect(info.RepoTags).toEqual(["v1"]);
    expect(info.Layers).toHaveLength(2);
    await skopeoOk(["copy", "--quiet", ...tlsOff, `docker://${berth.host}/test/oci:v1`, `oci:${join(dir, "back")}:v1`]);
    const back = JSON.parse(await Bun.file(join(dir, "back/index.json")).text());
    const pushed = await api("/v2/test/oci/manifests/v1", { method: "HEAD", headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
    expect(pushed.status).toBe(200);
    expect(pushed.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    expect(back.manifests[0].digest).toBe(pushed.headers.get("docker-content-digest"));
    for (const l of raw.layers) expect(existsSync(join(dir, "back/blobs/sha256", l.digest.slice(7)))).toBe(true);
  });

  test("Docker schema 2 media types are kept and served with their Content-Type", async () => {
    if (!ok) return;
    await skopeoOk(["copy", "--quiet", ...tlsOff, "--format", "v2s2", image, `docker://${berth.host}/test/docker:v1`]);
    const r = await api("/v2/test/docker/manifests/v1", { headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" } });
    expect(r.headers.get("content-type")).toBe("application/vnd.docker.distribution.manifest.v2+json");
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect(r.headers.get("docker-content-digest")).toBe(sha256(bytes));
    const m = JSON.parse(new TextDecoder().decode(bytes));
    expect(m.layers[0].mediaType).toBe("application/vnd.docker.image.rootfs.diff.tar.gzip");
    await skopeoOk(["copy", "--quiet", ...tlsOff, `docker://${berth.host}/test/docker:v1`, `oci:${join(dir, "back-docker")}:v1`]);
  });

  test("zstd layers pushed byte for byte and pulled back", async () => {
    if (!ok) return;
    const zdir = join(dir, "zstd");
    await skopeoOk(["copy", "--quiet", "--dest-compress", "--dest-compress-format", "zstd", image, `oci:${zdir}:z`]);
    await skopeoOk(["copy", "--quiet", ...tlsOff, "--preserve-digests", `oci:${zdir}:z`, `docker://${berth.host}/test/zstd:z`]);
    const raw = JSON.parse(await skopeoOk(["inspect", "--raw", "--tls-verify=false", `docker://${berth.host}/test/zstd:z`]));
    expect(raw.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([
      "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.v1.tar+zstd",
    ]);
    const blob = await api(`/v2/test/zstd/blobs/${raw.layers[0].digest}`);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    expect([...bytes.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
    expect(sha256(bytes)).toBe(raw.layers[0].digest);
    await skopeoOk(["copy", "--quiet", ...tlsOff, `docker://${berth.host}/test/zstd:z`, `oci:${join(dir, "zback")}:z`]);
  });

  test("an OCI index with two platforms", async () => {
    if (!ok) return;
    const arm = await buildImage(join(dir, "img"), { tag: "arm", arch: "arm64" });
    const digests: Record<string, { digest: string; size: number }> = {};
    for (const [arch, src] of [["amd64", image.replace(/:latest$/, ":latest")], ["arm64", arm]] as const) {
      await skopeoOk(["copy", "--quiet", ...tlsOff, src, `docker://${berth.host}/test/multi:${arch}`]);
      const h = await api(`/v2/test/multi/manifests/${arch}`, { method: "HEAD", headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
      digests[arch] = { digest: h.headers.get("docker-content-digest")!, size: Number(h.headers.get("content-length")) };
    }
    const index = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: (["amd64", "arm64"] as const).map((a) => ({
        mediaType: "application/vnd.oci.image.manifest.v1+json", ...digests[a], platform: { os: "linux", architecture: a },
      })),
    };
    const put = await api("/v2/test/multi/manifests/v1", { method: "PUT", headers: { "Content-Type": index.mediaType }, body: JSON.stringify(index) });
    expect(put.status).toBe(201);
    const arm64 = JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", "--override-arch", "arm64", `docker://${berth.host}/test/multi:v1`]));
    expect(arm64.Architecture).toBe("arm64");
    const amd64 = JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", "--override-arch", "amd64", `docker://${berth.host}/test/multi:v1`]));
    expect(amd64.Architecture).toBe("amd64");
    await skopeoOk(["copy", "--quiet", ...tlsOff, "--all", `docker://${berth.host}/test/multi:v1`, `oci:${join(dir, "multi-back")}:v1`]);

    // An index naming a manifest the repository does not have is refused.
    const bad = { ...index, manifests: [{ ...index.manifests[0], digest: sha256("nope") }] };
    const r = await api("/v2/test/multi/manifests/bad", { method: "PUT", headers: { "Content-Type": index.mediaType }, body: JSON.stringify(bad) });
    expect(r.status).toBe(400);
    expect(await errCode(r)).toBe("MANIFEST_BLOB_UNKNOWN");
  });

  test("copies between docker-registry and berth both ways", async () => {
    if (!ok) return;
    const dr = await startDockerRegistry(join(dir, "dr"));
    stops.push(dr.stop);
    await skopeoOk(["copy", "--quiet", ...tlsOff, image, `docker://${dr.host}/from/dr:v1`]);
    await skopeoOk(["copy", "--quiet", ...tlsOff, `docker://${dr.host}/from/dr:v1`, `docker://${berth.host}/from/dr:v1`]);
    await skopeoOk(["copy", "--quiet", ...tlsOff, `docker://${berth.host}/test/docker:v1`, `docker://${dr.host}/from/berth:v1`]);
    const a = JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", `docker://${dr.host}/from/berth:v1`]));
    const b = JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", `docker://${berth.host}/test/docker:v1`]));
    expect(a.Digest).toBe(b.Digest);
    await dr.stop();
  });
});

describe("registry server API", () => {
  test("GET /v2/ and unknown things", async () => {
    if (!ok) return;
    const r = await api("/v2/");
    expect(r.status).toBe(200);
    expect(r.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    const m = await api("/v2/test/oci/manifests/nope");
    expect(m.status).toBe(404);
    expect(await m.json()).toEqual({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown", detail: { Tag: "nope" } }] });
    const b = await api(`/v2/test/oci/blobs/${sha256("x")}`);
    expect(b.status).toBe(404);
    expect(await errCode(b)).toBe("BLOB_UNKNOWN");
    const t = await api("/v2/no/such/tags/list");
    expect(await errCode(t)).toBe("NAME_UNKNOWN");
  });

  test("names, tags and digests are validated (no path escape)", async () => {
    if (!ok) return;
    for (const path of ["/v2/UPPER/tags/list", "/v2/_x/tags/list", "/v2/a//b/tags/list", "/v2/a/..%2f..%2f..%2fetc/tags/list"]) {
      const r = await api(path);
      expect(r.status).toBe(400);
      expect(await errCode(r)).toBe("NAME_INVALID");
    }
    // Sent as is (fetch would normalise the dots away).
    const raw = await rawGet(berth.host, "/v2/a/%2e%2e/%2e%2e/x/tags/list");
    expect(raw).toMatch(/^HTTP\/1.1 (400|404) /);
    expect(raw).not.toContain('"tags"');
    const tag = await api("/v2/test/oci/manifests/-bad", { method: "PUT", body: "{}" });
    expect(await errCode(tag)).toBe("TAG_INVALID");
    const dig = await api("/v2/test/oci/blobs/sha256:abc");
    expect(await errCode(dig)).toBe("DIGEST_INVALID");
  });

  test("monolithic and chunked uploads; a wrong digest is refused with DIGEST_INVALID", async () => {
    if (!ok) return;
    const data = new TextEncoder().encode("chunk-one|chunk-two");
    const d = sha256(data);
    const mono = await api(`/v2/up/load/blobs/uploads/?digest=${sha256("other")}`, { method: "POST", body: data });
    expect(mono.status).toBe(400);
    expect(await errCode(mono)).toBe("DIGEST_INVALID");
    expect(existsSync(join(root, "blobs/sha256", d.slice(7)))).toBe(false);

    const start = await api("/v2/up/load/blobs/uploads/", { method: "POST" });
    expect(start.status).toBe(202);
    let loc = start.headers.get("location")!;
    const p1 = await api(loc, { method: "PATCH", headers: { "Content-Range": "0-9", "Content-Type": "application/octet-stream" }, body: data.subarray(0, 10) });
    expect(p1.status).toBe(202);
    expect(p1.headers.get("range")).toBe("0-9");
    loc = p1.headers.get("location")!;
    const wrongStart = await api(loc, { method: "PATCH", headers: { "Content-Range": "5-9" }, body: data.subarray(5, 10) });
    expect(wrongStart.status).toBe(416);
    expect(wrongStart.headers.get("range")).toBe("0-9");
    const status = await api(loc);
    expect(status.status).toBe(204);
    expect(status.headers.get("range")).toBe("0-9");
    const bad = await api(`${loc}?digest=${sha256("nope")}`, { method: "PUT", body: data.subarray(10) });
    expect(bad.status).toBe(400);
    expect(await errCode(bad)).toBe("DIGEST_INVALID");
    expect((await api(loc)).status).toBe(404);

    const s2 = await api("/v2/up/load/blobs/uploads/", { method: "POST" });
    const l2 = s2.headers.get("location")!;
    await api(l2, { method: "PATCH", body: data.subarray(0, 10) });
    const fin = await api(`${l2}?digest=${d}`, { method: "PUT", body: data.subarray(10) });
    expect(fin.status).toBe(201);
    expect(fin.headers.get("docker-content-digest")).toBe(d);
    expect(new TextDecoder().decode(await (await api(`/v2/up/load/blobs/${d}`)).arrayBuffer())).toBe("chunk-one|chunk-two");

    const s3 = await api("/v2/up/load/blobs/uploads/", { method: "POST" });
    const l3 = s3.headers.get("location")!;
    expect((await api(l3, { method: "DELETE" })).status).toBe(204);
    expect((await api(l3)).status).toBe(404);
  });

  test("blob Range requests, HEAD and cross-repository mount", async () => {
    if (!ok) return;
    const data = new TextEncoder().encode("0123456789abcdef");
    const d = sha256(data);
    expect((await api(`/v2/range/blob/blobs/uploads/?digest=${d}`, { method: "POST", body: data })).status).toBe(201);
    const part = await api(`/v2/range/blob/blobs/${d}`, { headers: { Range: "bytes=4-7" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 4-7/16");
    expect(await part.text()).toBe("4567");
    const tail = await api(`/v2/range/blob/blobs/${d}`, { headers: { Range: "bytes=10-" } });
    expect(await tail.text()).toBe("abcdef");
    expect((await api(`/v2/range/blob/blobs/${d}`, { headers: { Range: "bytes=99-" } })).status).toBe(416);
    const head = await api(`/v2/range/blob/blobs/${d}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("16");
    expect(head.headers.get("docker-content-digest")).toBe(d);

    expect((await api(`/v2/other/repo/blobs/${d}`)).status).toBe(404);
    const mount = await api(`/v2/other/repo/blobs/uploads/?mount=${d}&from=range/blob`, { method: "POST" });
    expect(mount.status).toBe(201);
    expect(mount.headers.get("location")).toBe(`/v2/other/repo/blobs/${d}`);
    expect(await (await api(`/v2/other/repo/blobs/${d}`)).text()).toBe("0123456789abcdef");
    const noMount = await api(`/v2/third/repo/blobs/uploads/?mount=${d}&from=no/where`, { method: "POST" });
    expect(noMount.status).toBe(202);
  });

  test("manifest validation: JSON, blobs present, size limit, digest", async () => {
    if (!ok) return;
    const config = new TextEncoder().encode('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    await api(`/v2/val/img/blobs/uploads/?digest=${sha256(config)}`, { method: "POST", body: config });
    const manifest = (layers: unknown[]) => JSON.stringify({
      schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: config.length }, layers,
    });
    const type = { "Content-Type": "application/vnd.oci.image.manifest.v1+json" };
    const missing = await api("/v2/val/img/manifests/v1", { method: "PUT", headers: type, body: manifest([{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha256("gone"), size: 4 }]) });
    expect(missing.status).toBe(400);
    expect(await errCode(missing)).toBe("MANIFEST_BLOB_UNKNOWN");
    const notJson = await api("/v2/val/img/manifests/v1", { method: "PUT", headers: type, body: "{not json" });
    expect(await errCode(notJson)).toBe("MANIFEST_INVALID");
    const schema1 = await api("/v2/val/img/manifests/v1", { method: "PUT", headers: { "Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws" }, body: '{"schemaVersion":1}' });
    expect(await errCode(schema1)).toBe("MANIFEST_INVALID");
    const big = await api("/v2/val/img/manifests/v1", { method: "PUT", headers: type, body: new Uint8Array((4 << 20) + 1).fill(32) });
    expect(big.status).toBe(413);
    const good = manifest([]);
    const wrongDigest = await api(`/v2/val/img/manifests/${sha256("x")}`, { method: "PUT", headers: type, body: good });
    expect(await errCode(wrongDigest)).toBe("DIGEST_INVALID");
    const put = await api("/v2/val/img/manifests/v1", { method: "PUT", headers: type, body: good });
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(sha256(good));
    const byDigest = await api(`/v2/val/img/manifests/${sha256(good)}`);
    expect(byDigest.headers.get("content-type")).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(await byDigest.text()).toBe(good);

    // Delete by digest removes the tags pointing at it.
    expect((await api(`/v2/val/img/manifests/${sha256(good)}`, { method: "DELETE" })).status).toBe(202);
    expect(await errCode(await api("/v2/val/img/manifests/v1"))).toBe("MANIFEST_UNKNOWN");
  });

  test("tags list and catalog paginate with n/last and Link", async () => {
    if (!ok) return;
    const config = new TextEncoder().encode("{}");
    await api(`/v2/pages/repo/blobs/uploads/?digest=${sha256(config)}`, { method: "POST", body: config });
    const body = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: 2 }, layers: [] });
    for (const t of ["c", "a", "b", "d"]) {
      expect((await api(`/v2/pages/repo/manifests/${t}`, { method: "PUT", headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" }, body })).status).toBe(201);
    }
    expect(await (await api("/v2/pages/repo/tags/list")).json()).toEqual({ name: "pages/repo", tags: ["a", "b", "c", "d"] });
    const p1 = await api("/v2/pages/repo/tags/list?n=2");
    expect(await p1.json()).toEqual({ name: "pages/repo", tags: ["a", "b"] });
    expect(p1.headers.get("link")).toBe('</v2/pages/repo/tags/list?n=2&last=b>; rel="next"');
    expect(await (await api("/v2/pages/repo/tags/list?n=2&last=b")).json()).toEqual({ name: "pages/repo", tags: ["c", "d"] });
    const cat = (await (await api("/v2/_catalog")).json()) as { repositories: string[] };
    expect(cat.repositories).toContain("pages/repo");
    expect(cat.repositories).toContain("test/oci");
    expect(cat.repositories).toEqual([...cat.repositories].sort());
    const c1 = await api("/v2/_catalog?n=1");
    expect(((await c1.json()) as { repositories: string[] }).repositories).toHaveLength(1);
    expect(c1.headers.get("link")).toContain("rel=\"next\"");
  });

  test("referrers (OCI 1.1) list manifests whose subject matches, filtered by artifactType", async () => {
    if (!ok) return;
    const h = await api("/v2/test/oci/manifests/v1", { method: "HEAD", headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
    const subject = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: h.headers.get("docker-content-digest")!, size: Number(h.headers.get("content-length")) };
    const empty = new TextEncoder().encode("{}");
    await api(`/v2/test/oci/blobs/uploads/?digest=${sha256(empty)}`, { method: "POST", body: empty });
    const art = (type: string) => JSON.stringify({
      schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", artifactType: type,
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: sha256(empty), size: 2 }, layers: [], subject,
      annotations: { "org.example": type },
    });
    for (const t of ["application/vnd.example.sbom", "application/vnd.example.sig"]) {
      const r = await api(`/v2/test/oci/manifests/${sha256(art(t))}`, { method: "PUT", headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" }, body: art(t) });
      expect(r.status).toBe(201);
      expect(r.headers.get("oci-subject")).toBe(subject.digest);
    }
    const all = await api(`/v2/test/oci/referrers/${subject.digest}`);
    expect(all.headers.get("content-type")).toBe("application/vnd.oci.image.index.v1+json");
    const idx = (await all.json()) as { manifests: { artifactType: string; digest: string }[] };
    expect(idx.manifests.map((m) => m.artifactType).sort()).toEqual(["application/vnd.example.sbom", "application/vnd.example.sig"]);
    const filtered = await api(`/v2/test/oci/referrers/${subject.digest}?artifactType=application/vnd.example.sig`);
    expect(filtered.headers.get("oci-filters-applied")).toBe("artifactType");
    const f = (await filtered.json()) as { manifests: { digest: string }[] };
    expect(f.manifests.map((m) => m.digest)).toEqual([sha256(art("application/vnd.example.sig"))]);
    expect(((await (await api(`/v2/test/oci/referrers/${sha256("none")}`)).json()) as { manifests: unknown[] }).manifests).toEqual([]);
  });
});

describe("registry server auth and TLS", () => {
  test("htpasswd Basic auth ($2y$ bcrypt and {SHA}); 401 with WWW-Authenticate", async () => {
    if (!ok) return;
    const hash = (await Bun.password.hash("s3cret", { algorithm: "bcrypt", cost: 4 })).replace(/^\$2b\$/, "$2y$");
    const sha = `{SHA}${new Bun.CryptoHasher("sha1").update("legacy").digest("base64")}`;
    const file = join(dir, "htpasswd");
    writeFileSync(file, `alice:${hash}\nbob:${sha}\n`);
    const s = await startBerthRegistry(join(dir, "auth-root"), { htpasswd: file });
    stops.push(s.stop);
    const anon = await fetch(`${s.url}/v2/`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toBe('Basic realm="berth-registry"');
    expect(((await anon.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("UNAUTHORIZED");
    const basic = (u: string, p: string) => ({ Authorization: `Basic ${btoa(`${u}:${p}`)}` });
    expect((await fetch(`${s.url}/v2/`, { headers: basic("alice", "wrong") })).status).toBe(401);
    expect((await fetch(`${s.url}/v2/`, { headers: basic("alice", "s3cret") })).status).toBe(200);
    expect((await fetch(`${s.url}/v2/`, { headers: basic("bob", "legacy") })).status).toBe(200);
    const denied = await skopeo(["copy", "--quiet", ...tlsOff, image, `docker://${s.host}/auth/img:v1`]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("authentication required");
    await skopeoOk(["copy", "--quiet", ...tlsOff, "--dest-creds", "alice:s3cret", image, `docker://${s.host}/auth/img:v1`]);
    await s.stop();
  });

  test("TLS with --tls-cert/--tls-key", async () => {
    if (!ok) return;
    const cert = join(dir, "tls.crt");
    const key = join(dir, "tls.key");
    await $`openssl req -x509 -newkey rsa:2048 -nodes -keyout ${key} -out ${cert} -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1`.quiet();
    const s = await startBerthRegistry(join(dir, "tls-root"), { tls: { cert, key } });
    stops.push(s.stop);
    expect(s.url.startsWith("https://")).toBe(true);
    const certDir = join(dir, "certs");
    await $`mkdir -p ${certDir} && cp ${cert} ${certDir}/ca.crt`.quiet();
    await skopeoOk(["copy", "--quiet", "--dest-cert-dir", certDir, image, `docker://${s.host}/tls/img:v1`]);
    const info = JSON.parse(await skopeoOk(["inspect", "--cert-dir", certDir, `docker://${s.host}/tls/img:v1`]));
    expect(info.Layers).toHaveLength(2);
    await s.stop();
  });
});

describe("registry gc", () => {
  test("removes unreferenced blobs only; --delete-untagged drops untagged manifests", async () => {
    if (!ok) return;
    const groot = join(dir, "gc-root");
    const s = await startBerthRegistry(groot);
    stops.push(s.stop);
    const other = await buildImage(join(dir, "img-gc"), { tag: "other", marker: "gc" });
    await skopeoOk(["copy", "--quiet", ...tlsOff, image, `docker://${s.host}/gc/keep:v1`]);
    await skopeoOk(["copy", "--quiet", ...tlsOff, other, `docker://${s.host}/gc/drop:v1`]);
    const orphan = new TextEncoder().encode("orphan blob");
    await fetch(`${s.url}/v2/gc/keep/blobs/uploads/?digest=${sha256(orphan)}`, { method: "POST", body: orphan });
    const keepRaw = JSON.parse(await skopeoOk(["inspect", "--raw", "--tls-verify=false", `docker://${s.host}/gc/keep:v1`]));
    const dropRaw = JSON.parse(await skopeoOk(["inspect", "--raw", "--tls-verify=false", `docker://${s.host}/gc/drop:v1`]));
    // Untag gc/drop: its manifest stays (untagged) until --delete-untagged.
    expect((await fetch(`${s.url}/v2/gc/drop/manifests/v1`, { method: "DELETE" })).status).toBe(202);
    await s.stop();

    const blobs = () => new Set(readdirSync(join(groot, "blobs/sha256")));
    const first = await gc(groot);
    expect(first.deletedBlobs).toEqual([sha256(orphan) as `sha256:${string}`]);
    expect(blobs().has(dropRaw.layers[0].digest.slice(7))).toBe(true);

    const second = await gc(groot, { deleteUntagged: true });
    const dropOnly = dropRaw.layers.map((l: { digest: string }) => l.digest).filter((d: string) => !keepRaw.layers.some((k: { digest: string }) => k.digest === d));
    expect(dropOnly.length).toBeGreaterThan(0);
    for (const d of dropOnly) expect(second.deletedBlobs).toContain(d);
    for (const l of keepRaw.layers) expect(blobs().has(l.digest.slice(7))).toBe(true);
    expect(blobs().has(keepRaw.config.digest.slice(7))).toBe(true);

    const again = await startBerthRegistry(groot);
    stops.push(again.stop);
    await skopeoOk(["copy", "--quiet", ...tlsOff, `docker://${again.host}/gc/keep:v1`, `oci:${join(dir, "gc-back")}:v1`]);
    await again.stop();
  });
});
