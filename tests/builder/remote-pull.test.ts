// Builds from a URL (the daemon downloads a tar or a lone Dockerfile, as dockerd
// does for `docker build URL`) and --pull (the base comes from its registry even
// when a local copy of that name exists). An HTTP server and a registry run in
// the test, on loopback.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";
import { createRegistryServer, type RegistryServer } from "../../src/registry/server/index.ts";

const box = busyboxDaemonForFile();
let web: ReturnType<typeof Bun.serve> | undefined;
let registry: RegistryServer | undefined;
let base = "";

beforeAll(async () => {
  if (!box.ok) return;
  const ctx = join(box.d.dir, "remote-ctx");
  mkdirSync(ctx);
  writeFileSync(join(ctx, "Dockerfile"), "FROM busybox\nCOPY greeting /greeting\n");
  writeFileSync(join(ctx, "greeting"), "from a tarball\n");
  await $`tar -czf ${box.d.dir}/ctx.tar.gz -C ${ctx} .`.quiet();
  const files: Record<string, () => Response> = {
    "/ctx.tar.gz": () => new Response(Bun.file(`${box.d.dir}/ctx.tar.gz`)),
    "/Dockerfile": () => new Response("FROM busybox\nRUN echo plain > /plain\n", { headers: { "Content-Type": "text/plain" } }),
  };
  web = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => files[new URL(req.url).pathname]?.() ?? new Response("no such file\n", { status: 404, statusText: "Not Found" }) });
  base = `http://127.0.0.1:${web.port}`;
  registry = await createRegistryServer({ root: join(box.d.dir, "registry"), addr: "127.0.0.1:0" });
});

afterAll(async () => {
  web?.stop(true);
  await registry?.close();
});

describe.if(box.ok)("build contexts from a URL, and --pull", () => {
  test("a tar.gz and a lone Dockerfile by URL; a missing one and a Git URL get clear errors", async () => {
    const d = box.d;
    expect((await d.cli(["build", "-q", "-t", "remote:tar", `${base}/ctx.tar.gz`])).code).toBe(0);
    expect((await d.cli(["run", "--rm", "remote:tar", "cat", "/greeting"])).stdout).toBe("from a tarball\n");
    expect((await d.cli(["build", "-q", "-t", "remote:plain", `${base}/Dockerfile`])).code).toBe(0);
    expect((await d.cli(["run", "--rm", "remote:plain", "cat", "/plain"])).stdout).toBe("plain\n");
    const missing = await d.cli(["build", `${base}/nope.tar`]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`error downloading remote context ${base}/nope.tar: failed to GET ${base}/nope.tar with status 404 Not Found`);
    const git = await d.cli(["build", "https://example.invalid/repo.git"]);
    expect(git.code).not.toBe(0);
    expect(git.stderr).toContain("is a Git repository, and berth does not run git");
  });

  test("the docker CLI's URL build goes through the daemon's download", async () => {
    const docker = "/usr/local/bin/docker";
    if (!existsSync(docker)) {
      if (process.env.CI === "true") throw new Error("the docker CLI is not installed");
      return;
    }
    // Spawned, not spawnSync: the web server the daemon downloads from lives in this process.
    const env = { ...process.env, DOCKER_HOST: box.d.host, DOCKER_BUILDKIT: "0" };
    const b = Bun.spawn([docker, "build", "-q", "-t", "remote:docker", `${base}/ctx.tar.gz`], { env, stdout: "pipe", stderr: "pipe" });
    const err = await new Response(b.stderr).text();
    expect([await b.exited, err.replace(/^DEPRECATED:[^]*?variable\.\n\n/, "")]).toEqual([0, ""]);
    const run = Bun.spawn([docker, "run", "--rm", "remote:docker", "cat", "/greeting"], { env, stdout: "pipe" });
    expect(await new Response(run.stdout).text()).toBe("from a tarball\n");
  });

  test("--pull takes the registry's image over a local one of the same name", async () => {
    const d = box.d;
    const ref = `${registry!.host}/base:1`;
    // The registry gets a base that has /v; the local copy of the same name keeps plain busybox.
    const ctx = join(d.dir, "newer");
    mkdirSync(ctx);
    writeFileSync(join(ctx, "Dockerfile"), "FROM busybox\nRUN echo newer > /v\n");
    expect((await d.cli(["build", "-q", "-t", ref, ctx])).code).toBe(0);
    expect((await d.cli(["push", ref])).code).toBe(0);
    expect((await d.cli(["tag", "busybox", ref])).code).toBe(0);
    const app = join(d.dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "Dockerfile"), `FROM ${ref}\nRUN cat /v 2>/dev/null > /seen || echo local > /seen\n`);
    expect((await d.cli(["build", "-q", "-t", "app:local", app])).code).toBe(0);
    expect((await d.cli(["run", "--rm", "app:local", "cat", "/seen"])).stdout).toBe("local\n");
    const pulled = await d.cli(["build", "--pull", "-t", "app:pulled", app]);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain(`Pulling ${ref}`);
    expect((await d.cli(["run", "--rm", "app:pulled", "cat", "/seen"])).stdout).toBe("newer\n");
  });
});
