// The distribution client against Debian's docker-registry and berth's own
// server, and against small test servers that lie, drop connections or
// require Bearer tokens.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { RegistryClient, RegistryError, RemoteRepository, endpointsFor, eraseCredentials, getCredentials, isInsecureRegistry, storeCredentials } from "../../src/registry/client/index.ts";
import { parseChallenges } from "../../src/registry/client/challenge.ts";
import { createRegistryServer } from "../../src/registry/server/index.ts";
import { buildImage, requireTools, sha256, skopeoOk, startBerthRegistry, startDockerRegistry, type RunningRegistry } from "./helpers.ts";
import { listen, randomBlob, staticRegistry, tokenRegistry, type FakeServer } from "./fake-servers.ts";

const dir = mkdtempSync("/tmp/berth-test-registry-client-");
let ok = false;
let image: string;
const registries: Record<string, RunningRegistry> = {};
const stops: (() => Promise<void>)[] = [];
const tlsOff = ["--src-tls-verify=false", "--dest-tls-verify=false"];

beforeAll(async () => {
  ok = requireTools();
  if (!ok) return;
  image = await buildImage(join(dir, "img"));
  registries["docker-registry"] = await startDockerRegistry(join(dir, "dr"));
  registries.berth = await startBerthRegistry(join(dir, "berth-root"));
  for (const r of Object.values(registries)) {
    stops.push(r.stop);
    await skopeoOk(["copy", "--quiet", ...tlsOff, image, `docker://${r.host}/test/img:v1`]);
  }
});

afterAll(async () => {
  for (const s of stops) await s().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

const anonymous = () => new RegistryClient({ credentials: {}, retryDelayMs: 10 });

for (const kind of ["docker-registry", "berth"]) {
  describe(`client against ${kind}`, () => {
    test("resolves a tag, then fetches and verifies config and layers", async () => {
      if (!ok) return;
      const r = registries[kind]!;
      const client = anonymous();
      const { manifest, repository } = await client.resolve(`${r.host}/test/img:v1`);
      expect(manifest.digest).toBe(sha256(manifest.bytes) as `sha256:${string}`);
      const doc = JSON.parse(new TextDecoder().decode(manifest.bytes));
      expect(doc.layers).toHaveLength(2);
      for (const d of [doc.config, ...doc.layers]) {
        const bytes = await collect(repository.blob(d));
        expect(bytes.length).toBe(d.size);
        expect(sha256(bytes)).toBe(d.digest);
      }
      const byDigest = await client.resolve(`${r.host}/test/img@${manifest.digest}`);
      expect(byDigest.manifest.digest).toBe(manifest.digest);
      expect(await repository.tags()).toEqual(["v1"]);
      const head = await repository.headManifest("v1");
      expect(head?.digest).toBe(manifest.digest);
    });

    test("unknown tag → Docker's manifest unknown wording", async () => {
      if (!ok) return;
      const r = registries[kind]!;
      const e = await anonymous().resolve(`${r.host}/test/img:nope`).catch((x) => x);
      expect(e).toBeInstanceOf(RegistryError);
      expect(e.message).toBe(`manifest for ${r.host}/test/img:nope not found: manifest unknown: manifest unknown`);
      expect(e.status).toBe(404);
    });

    test("pushes blobs (monolithic, chunked, mount) and a manifest that skopeo reads", async () => {
      if (!ok) return;
      const r = registries[kind]!;
      const client = anonymous();
      const src = await client.resolve(`${r.host}/test/img:v1`);
      const doc = JSON.parse(new TextDecoder().decode(src.manifest.bytes));
      const target = client.repository(`${r.host}/pushed/img`);
      const fresh = randomBlob(300 << 10);
      expect(await target.uploadBlob({ digest: fresh.digest, size: fresh.bytes.length }, fresh.bytes, { chunkSize: 64 << 10 })).toBe("uploaded");
      expect(await target.uploadBlob({ digest: fresh.digest, size: fresh.bytes.length }, fresh.bytes)).toBe("exists");
      expect(sha256(await collect(target.blob({ digest: fresh.digest, size: fresh.bytes.length })))).toBe(fresh.digest);
      const layer0 = await collect(src.repository.blob(doc.layers[0]));
      expect(await target.uploadBlob(doc.layers[0], layer0, { mountFrom: ["test/img"] })).toBe("mounted");
      const layer1 = await collect(src.repository.blob(doc.layers[1]));
      expect(await target.uploadBlob(doc.layers[1], layer1)).toBe("uploaded");
      const config = await collect(src.repository.blob(doc.config));
      await target.uploadBlob(doc.config, new Blob([config]));
      const digest = await target.putManifest("v2", src.manifest.bytes, "application/vnd.oci.image.manifest.v1+json");
      expect(digest).toBe(src.manifest.digest);
      const info = JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", `docker://${r.host}/pushed/img:v2`]));
      expect(info.Digest).toBe(src.manifest.digest);
    });

    test("a bad upload digest is refused by the registry", async () => {
      if (!ok) return;
      const r = registries[kind]!;
      const repo = anonymous().repository(`${r.host}/pushed/bad`);
      const data = new TextEncoder().encode("these bytes");
      const e = await repo.uploadBlob({ digest: sha256("other bytes"), size: data.length }, data).catch((x) => x);
      expect(e).toBeInstanceOf(RegistryError);
      expect(e.code).toBe("DIGEST_INVALID");
    });
  });
}

describe("client verification", () => {
  test("a blob served with wrong bytes is refused: digest mismatch", async () => {
    const real = randomBlob(100_000);
    const evil = randomBlob(100_000).bytes;
    const s = await listen(staticRegistry({ blobs: new Map([[real.digest, real.bytes]]), lie: new Map([[real.digest, evil]]) }));
    stops.push(s.stop);
    const repo = anonymous().repository(`${s.host}/x/y`);
    await expect(collect(repo.blob({ digest: real.digest, size: real.bytes.length }))).rejects.toThrow(/digest mismatch/);
    // Longer than the descriptor says: stopped at once.
    const long = randomBlob(10);
    const s2 = await listen(staticRegistry({ blobs: new Map([[long.digest, new Uint8Array(100)]]) }));
    stops.push(s2.stop);
    await expect(collect(anonymous().repository(`${s2.host}/x/y`).blob({ digest: long.digest, size: 10 }))).rejects.toThrow(/size mismatch/);
    await s.stop();
    await s2.stop();
  });

  test("manifests: digest verified by digest; schema 1 refused; size limit", async () => {
    const good = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256("{}"), size: 2 }, layers: [] }));
    const other = new TextEncoder().encode('{"schemaVersion":2,"layers":[]}');
    const schema1 = new TextEncoder().encode('{"schemaVersion":1,"name":"x","tag":"old","fsLayers":[]}');
    const s = await listen(staticRegistry({
      manifests: new Map([
        [sha256(good), { bytes: other, mediaType: "application/vnd.oci.image.manifest.v1+json" }],
        ["old", { bytes: schema1, mediaType: "application/vnd.docker.distribution.manifest.v1+prettyjws" }],
        ["huge", { bytes: new Uint8Array((4 << 20) + 10).fill(32), mediaType: "application/vnd.oci.image.manifest.v1+json" }],
      ]),
    }));
    stops.push(s.stop);
    const c = anonymous();
    await expect(c.resolve(`${s.host}/x/y@${sha256(good)}`)).rejects.toThrow(/digest mismatch/);
    await expect(c.resolve(`${s.host}/x/y:old`)).rejects.toThrow(/unsupported manifest format.*schema 1/);
    await expect(c.resolve(`${s.host}/x/y:huge`)).rejects.toThrow(/too large/);
    await s.stop();
  });

  test("a connection dropped mid-blob resumes with Range", async () => {
    const blob = randomBlob(512 << 10);
    const requests: { method: string; url: string; range?: string }[] = [];
    const s = await listen(staticRegistry({ blobs: new Map([[blob.digest, blob.bytes]]), requests, cut: (_d, _r, n) => (n === 1 ? 200_000 : undefined) }));
    stops.push(s.stop);
    const retries: number[] = [];
    const got = await collect(anonymous().repository(`${s.host}/x/y`).blob({ digest: blob.digest, size: blob.bytes.length }, { onRetry: (off) => retries.push(off) }));
    expect(sha256(got)).toBe(blob.digest);
    expect(retries).toHaveLength(1);
    const ranged = requests.filter((r) => r.range);
    expect(ranged).toHaveLength(1);
    expect(ranged[0]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(ranged[0]!.range!)![0])).toBeGreaterThan(0);

    // A server that always cuts: bounded retries, then the error.
    const always = await listen(staticRegistry({ blobs: new Map([[blob.digest, blob.bytes]]), cut: (_d, range) => (range ? 0 : 1000) }));
    stops.push(always.stop);
    const c = new RegistryClient({ credentials: {}, retries: 2, retryDelayMs: 5 });
    await expect(collect(c.repository(`${always.host}/x/y`).blob({ digest: blob.digest, size: blob.bytes.length }))).rejects.toThrow();
    await s.stop();
    await always.stop();
  });

  test("a mirror that fails a blob for good hands over to the origin, resumed at the same offset", async () => {
    const blob = randomBlob(256 << 10);
    const blobs = new Map([[blob.digest, blob.bytes]]);
    const mirror = await listen(staticRegistry({ blobs, cut: (_d, range) => (range ? 0 : 1000) }));
    const empty = await listen(staticRegistry({ blobs: new Map() }));
    const originRequests: { method: string; url: string; range?: string }[] = [];
    const origin = await listen(staticRegistry({ blobs, requests: originRequests }));
    stops.push(mirror.stop, empty.stop, origin.stop);
    const transport = new RegistryClient({ credentials: {}, retries: 1, retryDelayMs: 5 }).transport;
    const ep = (host: string, isMirror: boolean) => ({ domain: "docker.io", host, scheme: "http" as const, insecure: true, mirror: isMirror });
    const desc = { digest: blob.digest, size: blob.bytes.length };

    const viaCutting = new RemoteRepository(transport, ep(mirror.host, true), "library/x", ep(origin.host, false));
    expect(sha256(await collect(viaCutting.blob(desc)))).toBe(blob.digest);
    expect(originRequests.map((r) => r.range)).toEqual(["bytes=1000-"]);

    // A mirror without the blob (404): the origin from the first byte.
    const viaEmpty = new RemoteRepository(transport, ep(empty.host, true), "library/x", ep(origin.host, false));
    expect(sha256(await collect(viaEmpty.blob(desc)))).toBe(blob.digest);
    expect(originRequests.map((r) => r.range)).toEqual(["bytes=1000-", undefined]);

    // Without an origin to fall back on, the mirror's failure is the error.
    await expect(collect(new RemoteRepository(transport, ep(empty.host, true), "library/x").blob(desc))).rejects.toThrow(/blob unknown/);
  });

  test("the registry server killed mid-blob and restarted: the download resumes", async () => {
    if (!ok) return;
    const root = join(dir, "killed-root");
    const first = await createRegistryServer({ root, addr: "127.0.0.1:0" });
    const blob = randomBlob(24 << 20);
    const up = await fetch(`${first.url}/v2/big/blob/blobs/uploads/?digest=${blob.digest}`, { method: "POST", body: blob.bytes });
    expect(up.status).toBe(201);
    const client = new RegistryClient({ credentials: {}, retryDelayMs: 100 });
    const retries: number[] = [];
    const it = client.repository(`${first.host}/big/blob`).blob({ digest: blob.digest, size: blob.bytes.length }, { onRetry: (off) => retries.push(off) });
    const parts: Uint8Array[] = [];
    const firstChunk = await it.next();
    parts.push(firstChunk.value!);
    await first.close();
    const second = await createRegistryServer({ root, addr: first.host });
    stops.push(second.close);
    for (let r = await it.next(); !r.done; r = await it.next()) parts.push(r.value);
    expect(sha256(Buffer.concat(parts))).toBe(blob.digest);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]).toBeGreaterThan(0);
    expect(retries[0]).toBeLessThan(blob.bytes.length);
    await second.close();
  });
});

describe("client auth", () => {
  test("Basic auth (htpasswd, docker-registry): wrong or no credentials → Docker's wording", async () => {
    if (!ok) return;
    const hash = await Bun.password.hash("pw", { algorithm: "bcrypt", cost: 4 });
    const file = join(dir, "htpasswd");
    writeFileSync(file, `user:${hash}\n`);
    const r = await startDockerRegistry(join(dir, "dr-auth"), { htpasswd: file });
    stops.push(r.stop);
    await skopeoOk(["copy", "--quiet", ...tlsOff, "--dest-creds", "user:pw", image, `docker://${r.host}/auth/img:v1`]);
    const bad = new RegistryClient({ credentials: { [r.host]: { username: "user", password: "nope" } } });
    const e = await bad.resolve(`${r.host}/auth/img:v1`).catch((x) => x);
    expect(e.message).toBe(`Get "${r.url}/v2/auth/img/manifests/v1": unauthorized: authentication required`);
    const none = await anonymous().resolve(`${r.host}/auth/img:v1`).catch((x) => x);
    expect(none.message).toContain("unauthorized: authentication required");
    const good = new RegistryClient({ credentials: { [r.host]: { username: "user", password: "pw" } } });
    expect((await good.resolve(`${r.host}/auth/img:v1`)).manifest.digest).toMatch(/^sha256:/);
    expect(await good.login(r.host, { username: "user", password: "pw" })).toEqual({ status: "Login Succeeded" });
    const failed = await good.login(r.host, { username: "user", password: "bad" }).catch((x) => x);
    expect(failed.message).toBe(`login attempt to ${r.url}/v2/ failed with status: 401 Unauthorized`);
    await r.stop();
  });

  test("Bearer tokens from the challenge's realm: cached per scope, renewed on 401, push with credentials", async () => {
    if (!ok) return;
    const s = await tokenRegistry(join(dir, "token-root"), { user: "tok", pass: "en", privateRepos: ["private/img"] });
    stops.push(s.stop);
    const client = new RegistryClient({ credentials: { [s.host]: { username: "tok", password: "en" } }, retryDelayMs: 5 });
    const repo = client.repository(`${s.host}/team/app`);
    const blob = randomBlob(1000);
    expect(await repo.uploadBlob({ digest: blob.digest, size: 1000 }, blob.bytes)).toBe("uploaded");
    const pushTokens = s.tokenRequests.length;
    expect(pushTokens).toBeGreaterThanOrEqual(1);
    expect(s.tokenRequests[0]).toContain("service=test-registry");
    expect(decodeURIComponent(s.tokenRequests.at(-1)!)).toContain("scope=repository:team/app:pull,push");
    // Same scope again: the cached token serves.
    expect(await repo.uploadBlob({ digest: blob.digest, size: 1000 }, blob.bytes)).toBe("exists");
    expect(s.tokenRequests.length).toBe(pushTokens);
    // The registry forgets every token: one 401, a new token, success.
    s.revokeAll();
    expect(sha256(await collect(repo.blob({ digest: blob.digest, size: 1000 })))).toBe(blob.digest);

    // Anonymous pull of a private repository: insufficient_scope → Docker's "pull access denied".
    const anon = new RegistryClient({ credentials: {}, retryDelayMs: 5 });
    const denied = await anon.resolve(`${s.host}/private/img:v1`).catch((x) => x);
    expect(denied.message).toBe(`pull access denied for ${s.host}/private/img, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`);

    const login = await client.login(s.host, { username: "tok", password: "wrong" }).catch((x) => x);
    expect(login.message).toBe(`Get "${s.url}/v2/": unauthorized: incorrect username or password`);
    expect(await client.login(s.host, { username: "tok", password: "en" })).toEqual({ status: "Login Succeeded" });
    await s.stop();
  });

  test("WWW-Authenticate parsing", () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual([
      { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/busybox:pull" } },
    ]);
    expect(parseChallenges('Basic realm="a, b", Bearer realm=x,error="insufficient_scope"')).toEqual([
      { scheme: "basic", params: { realm: "a, b" } },
      { scheme: "bearer", params: { realm: "x", error: "insufficient_scope" } },
    ]);
  });
});

describe("client configuration", () => {
  test("docker config.json: auths, credHelpers, missing helper; login/logout keep other keys, mode 0600", () => {
    const cfgDir = join(dir, "docker-config");
    mkdirSync(cfgDir, { recursive: true });
    writeFileSync(join(cfgDir, "config.json"), JSON.stringify({
      auths: { "https://index.docker.io/v1/": { auth: btoa("hubuser:hubpass") }, "reg.example:5000": { auth: btoa("u:p:with:colons") } },
      credHelpers: { "helped.example": "berthtest", "missing.example": "nosuchhelper" },
      psFormat: "table {{.ID}}",
    }));
    expect(getCredentials("docker.io", cfgDir)).toEqual({ username: "hubuser", password: "hubpass" });
    expect(getCredentials("reg.example:5000", cfgDir)).toEqual({ username: "u", password: "p:with:colons" });
    expect(getCredentials("other.example", cfgDir)).toBeUndefined();

    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "docker-credential-berthtest"), '#!/bin/sh\nread server\n[ "$1" = get ] && echo "{\\"ServerURL\\":\\"$server\\",\\"Username\\":\\"helped\\",\\"Secret\\":\\"s3\\"}"\n');
    chmodSync(join(bin, "docker-credential-berthtest"), 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      expect(getCredentials("helped.example", cfgDir)).toEqual({ username: "helped", password: "s3" });
      expect(() => getCredentials("missing.example", cfgDir)).toThrow('exec: "docker-credential-nosuchhelper": executable file not found in $PATH');
    } finally {
      process.env.PATH = oldPath;
    }

    storeCredentials("new.example:5000", { username: "nu", password: "np" }, cfgDir);
    const written = JSON.parse(readFileSync(join(cfgDir, "config.json"), "utf8"));
    expect(written.psFormat).toBe("table {{.ID}}");
    expect(written.auths["new.example:5000"]).toEqual({ auth: btoa("nu:np") });
    expect(written.auths["https://index.docker.io/v1/"]).toBeDefined();
    expect(statSync(join(cfgDir, "config.json")).mode & 0o777).toBe(0o600);
    expect(getCredentials("new.example:5000", cfgDir)).toEqual({ username: "nu", password: "np" });
    expect(eraseCredentials("new.example:5000", cfgDir)).toBe(true);
    expect(eraseCredentials("new.example:5000", cfgDir)).toBe(false);
    expect(getCredentials("new.example:5000", cfgDir)).toBeUndefined();
  });

  test("insecure registries: loopback, CIDRs, host:port; HTTPS elsewhere; docker.io mirrors first", () => {
    expect(isInsecureRegistry("127.0.0.1:5000")).toBe(true);
    expect(isInsecureRegistry("localhost:5000")).toBe(true);
    expect(isInsecureRegistry("[::1]:5000")).toBe(true);
    expect(isInsecureRegistry("10.1.2.3:5000", ["10.0.0.0/8"])).toBe(true);
    expect(isInsecureRegistry("11.1.2.3:5000", ["10.0.0.0/8"])).toBe(false);
    expect(isInsecureRegistry("myreg:5000", ["myreg:5000"])).toBe(true);
    expect(isInsecureRegistry("myreg:5001", ["myreg:5000"])).toBe(false);
    expect(isInsecureRegistry("registry.example.com")).toBe(false);
    const eps = endpointsFor("docker.io", { mirrors: ["https://mirror.example"] }, "pull");
    expect(eps.map((e) => [e.host, e.mirror])).toEqual([["mirror.example", true], ["registry-1.docker.io", false]]);
    expect(endpointsFor("docker.io", { mirrors: ["https://mirror.example"] }, "push").map((e) => e.host)).toEqual(["registry-1.docker.io"]);
  });

  test("a non-loopback plain-HTTP registry: refused (no silent fallback) unless listed as insecure", async () => {
    if (!ok) return;
    const ip = Object.values(networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal)?.address;
    if (!ip) {
      const why = "no non-loopback IPv4 address on this machine";
      if (process.env.CI === "true") throw new Error(why);
      console.warn(`skipping: ${why}`);
      return;
    }
    const s = await createRegistryServer({ root: join(dir, "berth-root"), addr: `${ip}:0` });
    stops.push(s.close);
    const strict = await anonymous().resolve(`${s.host}/test/img:v1`).catch((x) => x);
    expect(strict).toBeInstanceOf(RegistryError);
    expect(strict.message).toContain(`"https://${s.host}/v2/test/img/manifests/v1"`);
    const lax = new RegistryClient({ credentials: {}, insecureRegistries: [`${ip}/32`] });
    expect((await lax.resolve(`${s.host}/test/img:v1`)).manifest.digest).toMatch(/^sha256:/);
    await s.close();
  });

  test("docker.io pulls go to a mirror first", async () => {
    if (!ok) return;
    const r = registries.berth!;
    await skopeoOk(["copy", "--quiet", ...tlsOff, image, `docker://${r.host}/library/mirrored:v1`]);
    const client = new RegistryClient({ credentials: {}, mirrors: [r.url] });
    const got = await client.resolve("mirrored:v1");
    expect(got.repository.endpoint.mirror).toBe(true);
    expect(got.repository.endpoint.host).toBe(r.host);
    expect(got.reference).toEqual({ domain: "docker.io", path: "library/mirrored", tag: "v1" });
  });
});
