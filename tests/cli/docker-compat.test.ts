// The real docker CLI 28 and docker-py against berth's daemon: the image and
// system commands print what docker prints, and berth's CLI agrees with them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { makeImageFixtures, requireTools, type ImageFixtures } from "../fixtures/image-busybox.ts";

const dockerBin = "/usr/local/bin/docker";

function need(what: string, present: boolean): boolean {
  if (present) return true;
  if (process.env.CI === "true") throw new Error(`${what} is not installed`);
  console.warn(`skipping: ${what} is not installed`);
  return false;
}

const ok = requireDaemon() && requireTools() && need("the docker CLI", existsSync(dockerBin));
let d: TestDaemon;
let tmp: string;
let fx: ImageFixtures;

function docker(args: string[]) {
  const r = Bun.spawnSync([dockerBin, ...args], {
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(tmp, "docker-config") },
    stdin: "ignore",
    timeout: 30_000,
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

beforeAll(async () => {
  if (!ok) return;
  tmp = mkdtempSync("/tmp/berth-test-dockercli-");
  fx = await makeImageFixtures(tmp);
  d = await startDaemon();
});
afterAll(async () => {
  if (!ok) return;
  await d.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * The docker CLI's and berth's output for the same command. The two run at once, but each reads the
 * clock on its own: an image made a second ago may read "Less than a second ago" in one and "1 second
 * ago" in the other (on a loaded machine, a second or two apart), so a table is compared again until
 * both read the clock within the same second.
 */
async function same(args: string[]): Promise<{ theirs: string; ours: string }> {
  const theirsNow = async () => {
    const p = Bun.spawn([dockerBin, ...args], { env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(tmp, "docker-config") }, stdin: "ignore", stdout: "pipe" });
    return new Response(p.stdout).text();
  };
  let pair = { theirs: "", ours: "" };
  for (let i = 0; i < 10; i++) {
    const [theirs, ours] = await Promise.all([theirsNow(), d.cli(args).then((r) => r.stdout)]);
    pair = { theirs, ours };
    if (pair.ours === pair.theirs) break;
  }
  return pair;
}

describe.if(ok)("the docker CLI", () => {
  test("version: negotiated 1.44, server sections", () => {
    const r = docker(["version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("API version:       1.44 (downgraded from");
    expect(r.stdout).toMatch(/\nServer: berth\n Engine:\n {2}Version: +\S+\n {2}API version: +1\.44 \(minimum version 1\.24\)\n/);
    expect(r.stdout).toMatch(/ {2}Experimental: +false\n/);
  });

  test("info prints berth's facts", () => {
    const r = docker(["info"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ Storage Driver: (overlay2|vfs)\n/);
    expect(r.stdout).toContain(" Logging Driver: json-file\n");
    expect(r.stdout).toContain(` Docker Root Dir: ${join(d.dir, "data")}\n`);
    expect(r.stdout).toContain(" Default Runtime: berth\n");
  });

  test("load -i, images, and berth's table is the same text", async () => {
    const r = docker(["load", "-i", fx.dockerArchive]);
    expect(r).toMatchObject({ code: 0, stdout: "Loaded image: busybox:test\n" });
    const { theirs, ours } = await same(["images"]);
    expect(theirs).toMatch(/^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/);
    expect(theirs).toMatch(/\nbusybox +test +[0-9a-f]{12} +.+ ago +1\.98MB\n/);
    expect(ours).toBe(theirs);
    const digests = await same(["images", "--digests", "-a"]);
    expect(digests.ours).toBe(digests.theirs);
    expect((await d.cli(["images", "-q", "--no-trunc"])).stdout).toBe(docker(["images", "-q", "--no-trunc"]).stdout);
  });

  test("tag, image inspect, history agree with berth's CLI", async () => {
    expect(docker(["tag", "busybox:test", "localhost:5000/busy/box:v2"]).code).toBe(0);
    const inspect = JSON.parse(docker(["image", "inspect", "localhost:5000/busy/box:v2"]).stdout);
    expect(inspect[0].RepoTags).toEqual(expect.arrayContaining(["busybox:test", "localhost:5000/busy/box:v2"]));
    expect(docker(["image", "inspect", "-f", "{{.Id}} {{.Os}} {{index .Config.Labels \"org.test\"}}", "busybox:test"]).stdout)
      .toMatch(/^sha256:[0-9a-f]{64} linux yes\n$/);
    const history = await same(["history", "busybox:test"]);
    expect(history.ours).toBe(history.theirs);
    expect(docker(["history", "--no-trunc", "-H=false", "busybox:test"]).stdout).toBe((await d.cli(["history", "--no-trunc", "-H=false", "busybox:test"])).stdout);
    const missing = docker(["image", "inspect", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe((await d.cli(["image", "inspect", "nope"])).stderr.trim());
  });

  test("save -o, rmi, load the saved file", () => {
    const out = join(tmp, "docker-saved.tar");
    expect(docker(["save", "-o", out, "busybox:test", "localhost:5000/busy/box:v2"]).code).toBe(0);
    const refused = docker(["rmi", "busybox:test", "nope"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("Untagged: busybox:test\n");
    expect(refused.stderr).toBe("Error response from daemon: No such image: nope:latest\n");
    const rm = docker(["rmi", "localhost:5000/busy/box:v2"]);
    expect(rm.stdout).toMatch(/^Untagged: localhost:5000\/busy\/box:v2\n(Deleted: sha256:[0-9a-f]{64}\n)+$/);
    const back = docker(["load", "-i", out]);
    expect(back.stdout).toContain("Loaded image: busybox:test\n");
    expect(back.stdout).toContain("Loaded image: localhost:5000/busy/box:v2\n");
  });

  test("errors read as docker's own", () => {
    expect(docker(["rmi", "nope"]).stderr).toBe("Error response from daemon: No such image: nope:latest\n");
    expect(docker(["tag", "nope", "x"]).stderr).toBe("Error response from daemon: No such image: nope:latest\n");
    expect(docker(["history", "nope"]).stderr).toBe("Error response from daemon: No such image: nope:latest\n");
  });
});

describe.if(ok)("docker-py", () => {
  test("version and images.list", () => {
    if (!need("python3 with the docker module", Bun.spawnSync(["python3", "-c", "import docker"]).exitCode === 0)) return;
    const script = [
      "import docker, json",
      `c = docker.DockerClient(base_url="${d.host}")`,
      "v = c.version()",
      "imgs = c.images.list()",
      "print(json.dumps({'api': v['ApiVersion'], 'ping': c.ping(), 'tags': sorted(t for i in imgs for t in i.tags), 'id': c.images.get('busybox:test').id}))",
    ].join("\n");
    const r = Bun.spawnSync(["python3", "-c", script], { timeout: 30_000 });
    expect(r.stderr.toString()).toBe("");
    const out = JSON.parse(r.stdout.toString());
    expect(out.api).toBe("1.44");
    expect(out.ping).toBe(true);
    expect(out.tags).toEqual(expect.arrayContaining(["busybox:test", "localhost:5000/busy/box:v2"]));
    expect(out.id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
