// Registries through the daemon: the real docker CLI, berth's CLI and raw
// Engine API requests pull, run and push images that skopeo/umoci made,
// against Debian's docker-registry and `berth registry serve`, with Basic
// auth and a token realm, and with a registry that dies or lies mid-pull.
import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { networkInterfaces } from "node:os";
import { berthCmd, busyboxRootfsTar, daemonUnavailable, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { freePort, hostArch, skopeo, skopeoOk, startDockerRegistry, toolsMissing, type RunningRegistry } from "./helpers.ts";
import { proxyRegistry, tokenRegistry } from "./fake-servers.ts";

const dockerBin = "/usr/local/bin/docker";
const why = daemonUnavailable() ?? toolsMissing() ?? (existsSync(dockerBin) ? undefined : `the docker CLI is not installed (${dockerBin})`);
if (why && process.env.CI === "true") throw new Error(why);
if (why) console.warn(`skipping: ${why}`);
const ok = !why;
setDefaultTimeout(120_000);
const tlsOff = ["--src-tls-verify=false", "--dest-tls-verify=false"];

let d: TestDaemon;
let tmp: string;
let dockerConfig: string;
const stops: (() => Promise<void>)[] = [];

async function run(cmd: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) {
  const p = Bun.spawn(cmd, {
    env: { ...process.env, DOCKER_HOST: d.host, BERTH_HOST: d.host, DOCKER_CONFIG: dockerConfig, ...opts.env },
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => p.kill(9), 60_000);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { stdout, stderr, code };
}
const docker = (args: string[], stdin?: string) => run([dockerBin, ...args], { stdin });
const berth = (args: string[], stdin?: string) => run([...berthCmd, ...args], { stdin });

/** Everything content-addressed under the data root: blobs, snapshots, temp files. */
function storeFiles(): string[] {
  const data = join(d.dir, "data");
  const list = (sub: string) => (existsSync(join(data, sub)) ? readdirSync(join(data, sub)).map((f) => `${sub}/${f}`) : []);
  return [...list("blobs/sha256"), ...list("layers"), ...list("tmp")].sort();
}

/** busybox with a marker file (layer 1), and v2 = v1 with /etc/group deleted by umoci repack (a whiteout). */
async function buildImages(dir: string): Promise<{ layout: string; zstd: string }> {
  const layout = join(dir, "oci");
  busyboxRootfsTar(dir);
  const rootfs = join(dir, "busybox-rootfs");
  writeFileSync(join(rootfs, "etc/hello"), "hello from the registry\n");
  await $`umoci init --layout ${layout}`.quiet();
  await $`umoci new --image ${layout}:v1`.quiet();
  await $`umoci insert --image ${layout}:v1 ${rootfs} /`.quiet();
  await $`umoci config --image ${layout}:v1 --config.cmd sh --architecture ${hostArch()} --os linux`.quiet();
  const bundle = join(dir, "bundle");
  await $`umoci unpack --image ${layout}:v1 ${bundle}`.quiet();
  rmSync(join(bundle, "rootfs/etc/group"));
  await $`umoci repack --image ${layout}:v2 ${bundle}`.quiet();
  const zstd = join(dir, "oci-zstd");
  await skopeoOk(["copy", "--quiet", "--dest-compress", "--dest-compress-format", "zstd", `oci:${layout}:v1`, `oci:${zstd}:v1`]);
  return { layout, zstd };
}

/** `berth registry serve` as its own process on a free port. */
async function startBerthServe(root: string, extra: string[] = []): Promise<RunningRegistry> {
  const port = await freePort();
  const proc = Bun.spawn([...berthCmd, "registry", "serve", "--addr", `127.0.0.1:${port}`, "--root", root, ...extra], { stdout: "ignore", stderr: "pipe" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/v2/`).then((r) => r.status > 0, () => false)) break;
    await Bun.sleep(25);
  }
  return { host: `127.0.0.1:${port}`, url, stop: async () => { proc.kill("SIGTERM"); await proc.exited; } };
}

let images: { layout: string; zstd: string };
let plain: RunningRegistry;

beforeAll(async () => {
  if (!ok) return;
  tmp = mkdtempSync("/tmp/berth-test-registry-engine-");
  dockerConfig = join(tmp, "docker-config");
  mkdirSync(dockerConfig);
  // Per-registry CAs: the daemon looks here instead of /etc/{berth,docker}/certs.d.
  d = await startDaemon({ env: { BERTH_CERTS_D: join(tmp, "certs.d") } });
  images = await buildImages(tmp);
  plain = await startDockerRegistry(join(tmp, "dr"));
  stops.push(plain.stop);
  for (const t of ["v1", "v2"]) await skopeoOk(["copy", "--quiet", ...tlsOff, `oci:${images.layout}:${t}`, `docker://${plain.host}/bb:${t}`]);
});

afterAll(async () => {
  if (!ok) return;
  for (const s of stops.reverse()) await s().catch(() => {});
  await d.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe.if(ok)("docker CLI and berth CLI through the daemon", () => {
  for (const kind of ["docker-registry", "berth registry serve"] as const) {
    test(`${kind}: docker pull renders progress, runs, honours whiteouts; docker push is read back by skopeo`, async () => {
      let reg = plain;
      if (kind === "berth registry serve") {
        reg = await startBerthServe(join(tmp, "berth-serve"));
        stops.push(reg.stop);
        for (const t of ["v1", "v2"]) await skopeoOk(["copy", "--quiet", ...tlsOff, `oci:${images.layout}:${t}`, `docker://${reg.host}/bb:${t}`]);
      }
      const pulled = await docker(["pull", `${reg.host}/bb:v1`]);
      expect(pulled.stderr).toBe("");
      expect(pulled.code).toBe(0);
      expect(pulled.stdout).toContain("v1: Pulling from bb\n");
      // The second registry serves layers the first one already brought in.
      expect(pulled.stdout).toMatch(kind === "docker-registry" ? /[0-9a-f]{12}: Pull complete\n/ : /[0-9a-f]{12}: (Pull complete|Already exists)\n/);
      expect(pulled.stdout).toMatch(/\nDigest: sha256:[0-9a-f]{64}\n/);
      expect(pulled.stdout).toContain(`Status: Downloaded newer image for ${reg.host}/bb:v1\n${reg.host}/bb:v1\n`);
      expect((await docker(["pull", `${reg.host}/bb:v1`])).stdout).toContain(`Status: Image is up to date for ${reg.host}/bb:v1`);

      const hello = await docker(["run", "--rm", `${reg.host}/bb:v1`, "cat", "/etc/hello", "/etc/group"]);
      expect(hello.stdout).toStartWith("hello from the registry\nroot:x:0:");
      // v2's layer deletes /etc/group with a whiteout written by umoci.
      expect((await docker(["pull", "-q", `${reg.host}/bb:v2`])).stdout).toBe(`${reg.host}/bb:v2\n`);
      const gone = await docker(["run", "--rm", `${reg.host}/bb:v2`, "sh", "-c", "cat /etc/hello; test -e /etc/group && echo present || echo gone"]);
      expect(gone.stdout).toBe("hello from the registry\ngone\n");

      expect((await docker(["tag", `${reg.host}/bb:v1`, `${reg.host}/copy/bb:v1`])).code).toBe(0);
      const pushed = await docker(["push", `${reg.host}/copy/bb:v1`]);
      expect(pushed.code).toBe(0);
      expect(pushed.stdout).toContain(`The push refers to repository [${reg.host}/copy/bb]`);
      const digest = /v1: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(pushed.stdout)?.[1];
      expect(digest).toBeDefined();
      const inspected = JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", `docker://${reg.host}/copy/bb:v1`]));
      expect(inspected.Digest).toBe(digest);
      await skopeoOk(["copy", "--quiet", ...tlsOff, `docker://${reg.host}/copy/bb:v1`, `oci:${join(tmp, `readback-${kind.length}`)}:v1`]);
      // Pushing again: every blob is already there.
      expect((await docker(["push", `${reg.host}/copy/bb:v1`])).stdout).toMatch(/[0-9a-f]{12}: Layer already exists/);

      const unknown = await docker(["pull", `${reg.host}/bb:nope`]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain(`Error response from daemon: manifest for ${reg.host}/bb:nope not found: manifest unknown`);
      // By digest: the same image, nothing downloaded.
      const byDigest = await docker(["pull", `${reg.host}/bb@${pulled.stdout.match(/Digest: (sha256:[0-9a-f]{64})/)![1]}`]);
      expect(byDigest.stdout).toContain("Status: Image is up to date for");
      // The last tag of a repository takes its digest references along, so the image goes.
      const rmi = await docker(["rmi", `${reg.host}/bb:v1`, `${reg.host}/bb:v2`, `${reg.host}/copy/bb:v1`]);
      expect(rmi.code).toBe(0);
      expect(rmi.stdout).toContain(`Untagged: ${reg.host}/bb@sha256:`);
      expect(rmi.stdout).toMatch(/Deleted: sha256:/);
      expect((await docker(["images", "-q", `${reg.host}/bb`])).stdout).toBe("");
    });
  }

  test("berth run pulls a missing image; pull -a; zstd layers; push -q; search on berth's registry", async () => {
    const reg = await startBerthServe(join(tmp, "berth-serve-2"));
    stops.push(reg.stop);
    for (const t of ["v1", "v2"]) await skopeoOk(["copy", "--quiet", ...tlsOff, `oci:${images.layout}:${t}`, `docker://${reg.host}/bb:${t}`]);
    await skopeoOk(["copy", "--quiet", ...tlsOff, `oci:${images.zstd}:v1`, `docker://${reg.host}/zstd/bb:v1`]);

    const ran = await berth(["run", "--rm", `${reg.host}/bb:v1`, "cat", "/etc/hello"]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe("hello from the registry\n");
    expect(ran.stderr).toContain(`Unable to find image '${reg.host}/bb:v1' locally\n`);
    expect(ran.stderr).toContain(`Status: Downloaded newer image for ${reg.host}/bb:v1`);

    const never = await berth(["run", "--rm", "--pull", "never", `${reg.host}/zstd/bb:v1`, "true"]);
    expect(never.code).toBe(125);
    expect(never.stderr).toContain(`No such image: ${reg.host}/zstd/bb:v1`);
    const zstd = await berth(["run", "--rm", "--pull", "always", `${reg.host}/zstd/bb:v1`, "cat", "/etc/hello"]);
    expect(zstd.stdout).toBe("hello from the registry\n");

    const all = await berth(["pull", "-a", `${reg.host}/bb`]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("v1: Pulling from bb");
    expect(all.stdout).toContain("v2: Pulling from bb");
    expect(all.stdout.trimEnd().split("\n").at(-1)).toBe(`${reg.host}/bb`);
    const tags = (await berth(["images", "--format", "{{.Tag}}", `${reg.host}/bb`])).stdout.split("\n").filter(Boolean).sort();
    expect(tags).toEqual(["v1", "v2"]);

    expect((await berth(["tag", `${reg.host}/bb:v2`, `${reg.host}/mine/bb:v2`])).code).toBe(0);
    const q = await berth(["push", "-q", `${reg.host}/mine/bb:v2`]);
    expect(q).toMatchObject({ code: 0, stdout: `${reg.host}/mine/bb:v2\n` });
    expect(JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", `docker://${reg.host}/mine/bb:v2`])).Name).toBe(`${reg.host}/mine/bb`);
    // push -a: every local tag of the repository.
    expect((await berth(["tag", `${reg.host}/bb:v1`, `${reg.host}/mine/bb:v1`])).code).toBe(0);
    const allTags = await berth(["push", "-a", `${reg.host}/mine/bb`]);
    expect(allTags.code).toBe(0);
    expect(allTags.stdout).toMatch(/v1: digest: sha256:[0-9a-f]{64} size: \d+\n[^]*v2: digest: sha256:/);
    expect(JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", `docker://${reg.host}/mine/bb:v1`])).RepoTags.sort()).toEqual(["v1", "v2"]);

    const search = await docker(["search", `${reg.host}/bb`]);
    expect(search.code).toBe(0);
    expect(search.stdout.split("\n")[0]).toMatch(/^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL$/);
    expect(search.stdout).toContain("\nbb ");
    expect(search.stdout).toContain("\nmine/bb ");
    const noSearch = await berth(["search", `${plain.host}/bb`]);
    expect(noSearch.code).toBe(1);
    expect(noSearch.stderr).toContain("Unexpected status code 404");
    expect(noSearch.stderr).toContain("does not offer the registry search API");
  });

  test("Engine API: distribution inspect, platform selection, events, bad X-Registry-Auth", async () => {
    const api = (path: string, init: RequestInit = {}) => fetch(`http://localhost/v1.44${path}`, { unix: d.socket, ...init } as RequestInit);
    const dist: any = await (await api(`/distribution/${plain.host}/bb:v1/json`)).json();
    expect(dist.Descriptor.digest).toMatch(/^sha256:/);
    expect(dist.Platforms).toEqual([{ architecture: hostArch(), os: "linux" }]);

    // A two-platform index: the host's entry by default, the other on request.
    const other = hostArch() === "amd64" ? "arm64" : "amd64";
    const multi = join(tmp, "multi");
    await skopeoOk(["copy", "--quiet", `oci:${images.layout}:v1`, `oci:${multi}:host`]);
    await $`umoci config --image ${multi}:host --tag other --architecture ${other}`.quiet();
    const index = JSON.parse(readFileSync(join(multi, "index.json"), "utf8"));
    const entries = index.manifests.map((m: any) => ({ ...m, platform: { os: "linux", architecture: m.annotations["org.opencontainers.image.ref.name"] === "other" ? other : hostArch() } }));
    const indexBytes = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: entries.map(({ annotations, ...rest }: any) => rest) });
    const indexDigest = `sha256:${new Bun.CryptoHasher("sha256").update(indexBytes).digest("hex")}`;
    writeFileSync(join(multi, "blobs/sha256", indexDigest.slice(7)), indexBytes);
    writeFileSync(join(multi, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.index.v1+json", digest: indexDigest, size: indexBytes.length, annotations: { "org.opencontainers.image.ref.name": "multi" } }] }));
    await skopeoOk(["copy", "--quiet", "--all", ...tlsOff, `oci:${multi}:multi`, `docker://${plain.host}/multi:v1`]);
    const dm: any = await (await api(`/distribution/${plain.host}/multi:v1/json`)).json();
    expect(dm.Descriptor).toMatchObject({ digest: indexDigest, mediaType: "application/vnd.oci.image.index.v1+json" });
    expect(dm.Platforms.map((p: any) => p.architecture).sort()).toEqual([hostArch(), other].sort());

    const since = Math.floor(Date.now() / 1000) - 1;
    expect((await docker(["pull", `${plain.host}/multi:v1`])).code).toBe(0);
    expect((await docker(["image", "inspect", "-f", "{{.Architecture}}", `${plain.host}/multi:v1`])).stdout).toBe(`${hostArch()}\n`);
    expect((await docker(["pull", "--platform", `linux/${other}`, `${plain.host}/multi:v1`])).code).toBe(0);
    expect((await docker(["image", "inspect", "-f", "{{.Architecture}}", `${plain.host}/multi:v1`])).stdout).toBe(`${other}\n`);
    const events = await docker(["events", "--since", String(since), "--until", String(Math.floor(Date.now() / 1000) + 1), "--filter", "event=pull", "--format", "{{.Action}} {{.Actor.ID}}"]);
    expect(events.stdout).toContain(`pull ${plain.host}/multi:v1\n`);

    const bad = await api(`/images/create?fromImage=${plain.host}/bb&tag=v1`, { method: "POST", headers: { "X-Registry-Auth": "%%%" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).message).toContain("X-Registry-Auth");
    const badName = await api(`/images/create?fromImage=${encodeURIComponent("Bad//Name")}`, { method: "POST" });
    expect(badName.status).toBe(400);
  });
});

describe.if(ok)("credentials", () => {
  test("Basic auth (htpasswd): docker login checks through the daemon; docker push/pull send the stored credentials", async () => {
    const hash = await Bun.password.hash("s3cret", { algorithm: "bcrypt", cost: 4 });
    const htpasswd = join(tmp, "htpasswd");
    writeFileSync(htpasswd, `alice:${hash}\n`);
    const reg = await startDockerRegistry(join(tmp, "dr-auth"), { htpasswd });
    stops.push(reg.stop);
    await skopeoOk(["copy", "--quiet", ...tlsOff, "--dest-creds", "alice:s3cret", `oci:${images.layout}:v1`, `docker://${reg.host}/private/bb:v1`]);

    const anon = await docker(["pull", `${reg.host}/private/bb:v1`]);
    expect(anon.code).toBe(1);
    expect(anon.stderr).toContain("unauthorized: authentication required");

    const wrong = await docker(["login", "-u", "alice", "--password-stdin", reg.host], "nope\n");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`Error response from daemon: login attempt to ${reg.url}/v2/ failed with status: 401 Unauthorized`);
    expect(existsSync(join(dockerConfig, "config.json")) && readFileSync(join(dockerConfig, "config.json"), "utf8").includes(reg.host)).toBe(false);

    const login = await docker(["login", "-u", "alice", "--password-stdin", reg.host], "s3cret\n");
    expect(login.stdout).toContain("Login Succeeded");
    const cfg = JSON.parse(readFileSync(join(dockerConfig, "config.json"), "utf8"));
    expect(Buffer.from(cfg.auths[reg.host].auth, "base64").toString()).toBe("alice:s3cret");

    expect((await docker(["pull", `${reg.host}/private/bb:v1`])).code).toBe(0);
    expect((await berth(["tag", `${reg.host}/private/bb:v1`, `${reg.host}/private/again:v1`])).code).toBe(0);
    const pushed = await berth(["push", `${reg.host}/private/again:v1`]);
    expect(pushed.code).toBe(0);
    expect(JSON.parse(await skopeoOk(["inspect", "--tls-verify=false", "--creds", "alice:s3cret", `docker://${reg.host}/private/again:v1`])).Name).toBe(`${reg.host}/private/again`);

    expect((await berth(["logout", reg.host])).stdout).toBe(`Removing login credentials for ${reg.host}\n`);
    expect((await berth(["logout", reg.host])).stdout).toBe(`Not logged in to ${reg.host}\n`);
    expect((await berth(["login", "-u", "alice", "-p", "s3cret", reg.host])).stderr).toContain("WARNING! Using --password via the CLI is insecure");
    expect((await berth(["logout", reg.host])).code).toBe(0);
    const noTty = await berth(["login", reg.host]);
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toContain("Cannot perform an interactive login from a non TTY device");
  });

  test("a token realm: berth login, then a private repository pulls and pushes with the token", async () => {
    const reg = await tokenRegistry(join(tmp, "token-root"), { user: "bob", pass: "pw", privateRepos: ["secret/bb"] });
    stops.push(reg.stop);
    const bad = await berth(["login", "-u", "bob", "--password-stdin", reg.host], "wrong");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`Error response from daemon: Get "${reg.url}/v2/": `);
    expect(bad.stderr).toContain("incorrect username or password");
    expect((await berth(["login", "-u", "bob", "--password-stdin", reg.host], "pw")).stdout).toBe("Login Succeeded\n");

    expect((await berth(["pull", `${plain.host}/bb:v1`])).code).toBe(0);
    expect((await berth(["tag", `${plain.host}/bb:v1`, `${reg.host}/secret/bb:v1`])).code).toBe(0);
    const pushed = await berth(["push", `${reg.host}/secret/bb:v1`]);
    expect(pushed.stderr).toBe("");
    expect(pushed.code).toBe(0);
    expect((await berth(["rmi", `${reg.host}/secret/bb:v1`])).code).toBe(0);
    expect((await berth(["pull", `${reg.host}/secret/bb:v1`])).code).toBe(0);
    expect(reg.tokenRequests.some((q) => q.includes("secret%2Fbb%3Apull") || q.includes("secret/bb:pull"))).toBe(true);

    expect((await berth(["logout", reg.host])).code).toBe(0);
    expect((await berth(["rmi", `${reg.host}/secret/bb:v1`])).code).toBe(0);
    const denied = await berth(["pull", `${reg.host}/secret/bb:v1`]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/pull access denied for .*secret\/bb|unauthorized/);
  });
});

describe.if(ok)("TLS", () => {
  test("an HTTPS registry off loopback: trusted through certs.d/<host:port>/ca.crt, refused without", async () => {
    const ip = Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address;
    if (!ip) {
      if (process.env.CI === "true") throw new Error("no non-loopback IPv4 address to serve TLS on");
      return console.warn("skipping: no non-loopback IPv4 address");
    }
    const pki = join(tmp, "pki");
    mkdirSync(pki);
    await $`openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=berth-test-registry-ca -keyout ${pki}/ca.key -out ${pki}/ca.crt`.quiet();
    await $`openssl req -newkey rsa:2048 -nodes -subj /CN=${ip} -keyout ${pki}/reg.key -out ${pki}/reg.csr`.quiet();
    writeFileSync(join(pki, "ext"), `subjectAltName=IP:${ip}\n`);
    await $`openssl x509 -req -in ${pki}/reg.csr -CA ${pki}/ca.crt -CAkey ${pki}/ca.key -CAcreateserial -days 1 -extfile ${pki}/ext -out ${pki}/reg.crt`.quiet();
    const port = await freePort();
    const host = `${ip}:${port}`;
    const proc = Bun.spawn([...berthCmd, "registry", "serve", "--addr", host, "--root", join(tmp, "tls-root"), "--tls-cert", join(pki, "reg.crt"), "--tls-key", join(pki, "reg.key")], { stdout: "ignore", stderr: "ignore" });
    stops.push(async () => { proc.kill(); await proc.exited; });
    const skopeoCerts = join(tmp, "skopeo-certs");
    mkdirSync(skopeoCerts);
    writeFileSync(join(skopeoCerts, "ca.crt"), readFileSync(join(pki, "ca.crt")));
    for (const end = Date.now() + 15_000; Date.now() < end && (await skopeo(["inspect", "--cert-dir", skopeoCerts, `docker://${host}/none:v1`])).stderr.includes("connection refused"); ) await Bun.sleep(50);
    await skopeoOk(["copy", "--quiet", "--dest-cert-dir", skopeoCerts, `oci:${images.layout}:v1`, `docker://${host}/tls/bb:v1`]);

    const untrusted = await docker(["pull", `${host}/tls/bb:v1`]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain(`Get "https://${host}/v2/tls/bb/manifests/v1": tls: failed to verify certificate: x509: certificate signed by unknown authority`);

    mkdirSync(join(tmp, "certs.d", host), { recursive: true });
    writeFileSync(join(tmp, "certs.d", host, "ca.crt"), readFileSync(join(pki, "ca.crt")));
    const trusted = await docker(["pull", `${host}/tls/bb:v1`]);
    expect(trusted.stderr).toBe("");
    expect(trusted.code).toBe(0);
    expect((await docker(["tag", `${host}/tls/bb:v1`, `${host}/tls/again:v1`])).code).toBe(0);
    expect((await docker(["push", `${host}/tls/again:v1`])).code).toBe(0);
    expect((await skopeo(["inspect", "--cert-dir", skopeoCerts, `docker://${host}/tls/again:v1`])).code).toBe(0);
  });
});

/** NAME:v1 on docker-registry: one layer no other image shares (1 MiB of random bytes), so a pull must download it. */
async function pushFreshImage(name: string): Promise<void> {
  const files = join(tmp, name);
  mkdirSync(join(files, "data"), { recursive: true });
  writeFileSync(join(files, "data/blob"), crypto.getRandomValues(new Uint8Array(1 << 20)));
  const img = `${images.layout}:${name}`;
  await $`umoci new --image ${img} && umoci insert --image ${img} ${files} / && umoci config --image ${img} --architecture ${hostArch()} --os linux`.quiet();
  await skopeoOk(["copy", "--quiet", ...tlsOff, `oci:${img}`, `docker://${plain.host}/${name}:v1`]);
}

describe.if(ok)("faults", () => {
  test("a registry that lies about blob bytes, or dies mid-pull, leaves nothing stored; the retry succeeds", async () => {
    await pushFreshImage("fresh");
    const before = storeFiles();

    const liar = await proxyRegistry(plain.url, { corrupt: (url) => url.includes("/blobs/sha256:") });
    stops.push(liar.stop);
    const lied = await docker(["pull", `${liar.host}/fresh:v1`]);
    expect(lied.code).toBe(1);
    expect(lied.stderr).toContain("digest mismatch");
    expect(storeFiles()).toEqual(before);
    await liar.stop();

    // The proxy is stopped mid-blob and not back before the retries give up.
    const port = await freePort();
    let slow = await proxyRegistry(plain.url, { delayMs: 40, port });
    const pulling = berth(["pull", `${slow.host}/fresh:v1`]);
    await Bun.sleep(400);
    await slow.stop();
    const died = await pulling;
    expect(died.code).toBe(1);
    expect(died.stderr).toContain(`127.0.0.1:${port}`);
    expect((await berth(["images", "-q", `${slow.host}/fresh:v1`])).stdout).toBe("");
    expect(storeFiles()).toEqual(before);

    slow = await proxyRegistry(plain.url, { port });
    stops.push(slow.stop);
    const retried = await berth(["pull", `${slow.host}/fresh:v1`]);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain("Pull complete");
    await slow.stop();
  });

  test("a client that hangs up mid-pull cancels it: no image, blob, snapshot or temp file", async () => {
    await pushFreshImage("fresh2");
    const before = storeFiles();
    const slow = await proxyRegistry(plain.url, { delayMs: 40 });
    stops.push(slow.stop);
    const abort = new AbortController();
    const res = await fetch(`http://localhost/v1.44/images/create?fromImage=${slow.host}/fresh2&tag=v1`, { method: "POST", unix: d.socket, signal: abort.signal } as RequestInit);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let seen = "";
    while (!seen.includes("Downloading")) seen += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    // The daemon notices the closed connection and removes what the pull wrote.
    for (const end = Date.now() + 15_000; Date.now() < end && JSON.stringify(storeFiles()) !== JSON.stringify(before); ) await Bun.sleep(50);
    expect(storeFiles()).toEqual(before);
    expect((await berth(["images", "-q", `${slow.host}/fresh2:v1`])).stdout).toBe("");
  });
});

describe.if(ok)("docker-py", () => {
  test("images.pull and images.push against docker-registry", async () => {
    if (Bun.spawnSync(["python3", "-c", "import docker"]).exitCode !== 0) {
      if (process.env.CI === "true") throw new Error("python3-docker is not installed");
      return console.warn("skipping: python3-docker is not installed");
    }
    const script = `
import docker, sys
c = docker.DockerClient(base_url=sys.argv[1])
img = c.images.pull(sys.argv[2] + "/bb", tag="v2")
print(sys.argv[2] + "/bb:v2" in img.tags)
img.tag(sys.argv[2] + "/py/bb", "v2")
for line in c.images.push(sys.argv[2] + "/py/bb", tag="v2", stream=True, decode=True):
    if "error" in line: raise SystemExit(line["error"])
print("pushed")
`;
    const r = await run(["python3", "-c", script, d.host, plain.host]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("True\npushed\n");
    expect((await skopeo(["inspect", "--tls-verify=false", `docker://${plain.host}/py/bb:v2`])).code).toBe(0);
  });
});
