// HostConfig.Runtime (run --runtime, compose's runtime:): berth has one runtime, listed by `info`
// under its own name and Docker's default "runc"; either runs the container, any other name is
// refused with dockerd's words and status, and nothing is created.
import { describe, expect, test } from "bun:test";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";

const docker = "/usr/local/bin/docker";
const f = busyboxDaemonForFile();

describe.if(f.ok)("runtime names", () => {
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`http://localhost${path}`, {
      unix: f.d.socket, method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
    } as RequestInit);
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };

  test("info lists berth and runc under Runtimes, berth as DefaultRuntime, in Docker's shape", async () => {
    const info = (await api("GET", "/info")).body;
    expect(Object.keys(info.Runtimes).sort()).toEqual(["berth", "runc"]);
    for (const r of Object.values(info.Runtimes) as { path: string }[]) expect(typeof r.path).toBe("string");
    expect(info.DefaultRuntime).toBe("berth");
    expect((await f.d.cli(["info"])).stdout).toContain(" Runtimes: berth runc\n Default Runtime: berth\n");
  });

  test("--runtime berth or runc runs the container, and inspect shows the name; unset is the default's", async () => {
    for (const name of ["berth", "runc"]) {
      const r = await f.d.cli(["run", "--rm", "--runtime", name, "busybox", "echo", name]);
      expect([r.code, r.stdout]).toEqual([0, `${name}\n`]);
    }
    const id = (await f.d.cli(["create", "--runtime", "runc", "busybox", "true"])).stdout.trim();
    const plain = (await f.d.cli(["create", "busybox", "true"])).stdout.trim();
    try {
      expect((await f.d.cli(["inspect", "-f", "{{.HostConfig.Runtime}}", id, plain])).stdout).toBe("runc\nberth\n");
    } finally {
      await f.d.cli(["rm", id, plain]);
    }
  });

  test("another name: 400 with dockerd's words, from berth's CLI and the docker CLI alike, and nothing is created", async () => {
    const before = (await f.d.cli(["ps", "-aq"])).stdout;
    const viaApi = await api("POST", "/containers/create", { Image: "busybox", Cmd: ["true"], HostConfig: { Runtime: "io.containerd.kata.v2" } });
    expect(viaApi).toEqual({ status: 400, body: { message: "unknown or invalid runtime name: io.containerd.kata.v2" } });
    const cli = await f.d.cli(["run", "--rm", "--runtime", "crun", "--name", "nope", "busybox", "true"]);
    expect(cli.code).toBe(125);
    expect(cli.stderr).toContain("Error response from daemon: unknown or invalid runtime name: crun");
    if (await Bun.file(docker).exists()) {
      const p = Bun.spawnSync([docker, "-H", f.d.host, "run", "--rm", "--runtime", "nvidia", "busybox", "true"]);
      expect(p.exitCode).toBe(125);
      expect(p.stderr.toString()).toContain("Error response from daemon: unknown or invalid runtime name: nvidia");
    }
    expect((await f.d.cli(["ps", "-aq"])).stdout).toBe(before);
    expect((await f.d.cli(["inspect", "nope"])).code).not.toBe(0);
  });
});
