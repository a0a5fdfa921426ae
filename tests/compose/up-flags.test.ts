// docker compose 2.40's up and create flags beyond the everyday ones, against a
// real daemon (in a network namespace of the file's own): --always-recreate-deps,
// -V/--renew-anon-volumes (and the anonymous volumes a recreated container keeps
// without it), --quiet-build, -y with compose's question about a volume whose
// configuration changed, --menu accepted off a terminal, and the version berth
// follows in `compose version` and the labels.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeProject } from "./app-project.ts";
import { composeDaemonForFile } from "./compose-daemon.ts";

const daemon = composeDaemonForFile("cmpu");
const work = mkdtempSync("/tmp/berth-compose-upflags-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const inspect = async (name: string, kind: string[] = []) => JSON.parse((await daemon.d.cli([...kind, "inspect", name])).stdout)[0];
const id = async (name: string) => (await inspect(name)).Id as string;
/** The name of the volume mounted at `target` in container `name`. */
const volumeAt = async (name: string, target: string) => ((await inspect(name)).Mounts as { Destination: string; Name: string }[]).find((m) => m.Destination === target)?.Name;

// sleep as PID 1 ignores SIGTERM: SIGKILL stops these at once.
const project = `
services:
  db:
    image: busybox
    command: sleep 100000
    stop_signal: SIGKILL
  app:
    image: busybox
    command: sleep 100000
    stop_signal: SIGKILL
    depends_on: [db]
    volumes: ["/scratch", "data:/data"]
volumes:
  data:
    labels: {generation: "\${GEN:-1}"}
`;

describe.if(daemon.ok)("compose up flags", () => {
  const dir = join(work, "uf");
  const compose = (args: string[], env: Record<string, string> = {}) => daemon.compose(dir, args, env);
  const exec = (cmd: string) => daemon.d.cli(["exec", "uf-app-1", "sh", "-c", cmd]);

  test("compose version and the labels name the compose release berth follows, 2.40.3", async () => {
    writeProject(dir, { "compose.yaml": project });
    expect((await compose(["version"])).stdout).toBe("Docker Compose version v2.40.3\n");
    expect((await compose(["version", "--short"])).stdout).toBe("2.40.3\n");
    expect(JSON.parse((await compose(["version", "--format", "json"])).stdout)).toEqual({ version: "v2.40.3" });
    const up = await compose(["up", "-d"]);
    expect(up.code).toBe(0);
    expect((await inspect("uf-app-1")).Config.Labels["com.docker.compose.version"]).toBe("2.40.3");
    expect((await inspect("uf_data", ["volume"])).Labels["com.docker.compose.version"]).toBe("2.40.3");
  });

  test("--always-recreate-deps recreates the dependencies of the services named, which up otherwise keeps", async () => {
    const [db0, app0] = [await id("uf-db-1"), await id("uf-app-1")];
    expect((await compose(["up", "-d", "app"])).code).toBe(0);
    expect([await id("uf-db-1"), await id("uf-app-1")]).toEqual([db0, app0]);
    const r = await compose(["up", "-d", "--always-recreate-deps", "app"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Container uf-db-1  Recreated");
    expect(await id("uf-db-1")).not.toBe(db0);
    const bad = await compose(["up", "-d", "--always-recreate-deps", "--no-recreate"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("--always-recreate-deps and --no-recreate are incompatible\n");
  });

  test("a recreated container keeps its anonymous volume and its data; -V gives it a new, empty one", async () => {
    expect((await exec("echo kept > /scratch/f")).code).toBe(0);
    const vol0 = await volumeAt("uf-app-1", "/scratch");
    expect(vol0).toMatch(/^[0-9a-f]{64}$/);
    const app0 = await id("uf-app-1");
    expect((await compose(["up", "-d", "--force-recreate", "app"])).code).toBe(0);
    expect(await id("uf-app-1")).not.toBe(app0);
    expect(await volumeAt("uf-app-1", "/scratch")).toBe(vol0);
    expect((await exec("cat /scratch/f")).stdout).toBe("kept\n");

    // -V alone recreates (compose forces it): the same configuration, a new container and a new volume.
    const app1 = await id("uf-app-1");
    const renewed = await compose(["up", "-d", "-V", "app"]);
    expect(renewed.code).toBe(0);
    expect(await id("uf-app-1")).not.toBe(app1);
    const vol1 = await volumeAt("uf-app-1", "/scratch");
    expect(vol1).toMatch(/^[0-9a-f]{64}$/);
    expect(vol1).not.toBe(vol0);
    expect((await exec("ls -A /scratch")).stdout).toBe("");
    // The named volume is no anonymous one: it stays.
    expect(await volumeAt("uf-app-1", "/data")).toBe("uf_data");
    const bad = await compose(["up", "-d", "--renew-anon-volumes", "--no-recreate"]);
    expect(bad.stderr).toBe("--no-recreate and --renew-anon-volumes are incompatible\n");
  });

  test("a volume whose configuration changed: compose's question, answered no from a closed stdin; -y recreates it and the containers using it", async () => {
    expect((await exec("echo precious > /data/f")).code).toBe(0);
    const asked = await compose(["up", "-d"], { GEN: "2" });
    expect(asked.code).toBe(0);
    expect(asked.stdout).toBe(`Volume "uf_data" exists but doesn't match configuration in compose file. Recreate (data will be lost)?`);
    expect((await inspect("uf_data", ["volume"])).Labels.generation).toBe("1");
    expect((await exec("cat /data/f")).stdout).toBe("precious\n");

    const app0 = await id("uf-app-1");
    const yes = await compose(["up", "-d", "-y"], { GEN: "2" });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toBe("");
    for (const line of ["Container uf-app-1  Stopped", "Container uf-app-1  Removed", "Volume uf_data  Created", "Container uf-app-1  Started"]) expect(yes.stderr).toContain(line);
    expect(await id("uf-app-1")).not.toBe(app0);
    expect((await inspect("uf_data", ["volume"])).Labels.generation).toBe("2");
    expect((await exec("ls -A /data")).stdout).toBe("");
    // Unchanged since: no question.
    expect((await compose(["up", "-d"], { GEN: "2" })).stdout).toBe("");
  });

  test("--menu is accepted and, with no terminal, changes nothing", async () => {
    const r = await compose(["up", "--menu", "-d"], { GEN: "2" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
  });

  test("--quiet-build leaves the builder's output out of up's, not the Building and Built lines", async () => {
    const bdir = join(work, "qb");
    writeProject(bdir, { "compose.yaml": "services:\n  web:\n    build: .\n    command: sleep 100000\n    stop_signal: SIGKILL\n", Dockerfile: "FROM busybox\nRUN echo quiet-build-marker\n" });
    const loud = await daemon.compose(bdir, ["up", "-d", "--build"]);
    expect(loud.code).toBe(0);
    expect(loud.stdout + loud.stderr).toContain("quiet-build-marker");
    const quiet = await daemon.compose(bdir, ["up", "-d", "--build", "--quiet-build"]);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout + quiet.stderr).not.toContain("quiet-build-marker");
    expect(quiet.stderr).toContain("Service web  Building");
    expect(quiet.stderr).toContain("Service web  Built");
    expect((await daemon.compose(bdir, ["down"])).code).toBe(0);
  });
});
