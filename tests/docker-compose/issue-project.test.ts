// The issue's project (tests/compose/app-project.ts, the files the berth
// compose test runs) driven by docker-compose 1.29 against berth's daemon:
// up -d builds the web and brings the services up in depends_on order (the
// migration completed, the db healthy), the web answers from the host, the
// worker reaches the db by name, a second up recreates nothing and one after a
// change to the web's environment only the web, down keeps the volume and
// down -v takes it. The daemon runs in a network namespace of the test's own.
import { afterAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { appFiles, writeProject } from "../compose/app-project.ts";
import { composeDaemonForFile } from "../compose/compose-daemon.ts";

const composeBin = "/usr/bin/docker-compose";
const haveCompose = existsSync(composeBin);
if (!haveCompose) {
  if (process.env.CI === "true") throw new Error("docker-compose is not installed (Debian's docker-compose package)");
  console.warn("skipping: docker-compose is not installed");
}
const daemon = composeDaemonForFile("dcapp");
const ok = daemon.ok && haveCompose;
const work = mkdtempSync("/tmp/berth-dc-app-");
afterAll(() => rmSync(work, { recursive: true, force: true }));
const dir = writeProject(join(work, "app"), appFiles(18191));

async function compose(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn([composeBin, "--no-ansi", "-f", "compose.yaml", ...args], {
    cwd: dir,
    env: { ...process.env, DOCKER_HOST: daemon.d.host, DOCKER_CONFIG: join(work, "docker-config"), COMPOSE_INTERACTIVE_NO_CLI: "1", ...env },
    stdin: "ignore", stdout: "pipe", stderr: "pipe",
  });
  const timer = setTimeout(() => p.kill(9), 150_000);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

const inspect = async (...names: string[]) => JSON.parse((await daemon.d.cli(["inspect", ...names])).stdout);
const names = async (kind: "network" | "volume") => (await daemon.d.cli([kind, "ls", "--format", "{{.Name}}"])).stdout.split("\n").filter((n) => n.startsWith("app_"));
const containers = async () => (await daemon.d.cli(["ps", "-a", "--format", "{{.Names}}"])).stdout.split("\n").filter(Boolean).sort();
const hostGet = async (path: string) => (await $`printf ${`GET ${path} HTTP/1.0\r\n\r\n`} | nsenter --net=/run/netns/${daemon.ns} busybox nc -w 3 127.0.0.1 18191`.nothrow().quiet()).stdout.toString();

/** The daemon's container events of one action so far, oldest first. */
async function events(action: string): Promise<any[]> {
  const filters = JSON.stringify({ type: ["container"], event: [action] });
  const r = await fetch(`http://localhost/events?since=0&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${encodeURIComponent(filters)}`, { unix: daemon.d.socket } as RequestInit);
  return (await r.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** Polls `probe` until it gives true, `ms` at most. */
async function until(probe: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await Bun.sleep(200)) if (await probe()) return true;
  return probe();
}

/** What must be the same in the containers docker-compose and berth compose make from these files (names aside: 1.29 joins with "_", v2 with "-"). */
async function shape(names: string[]): Promise<unknown[]> {
  return (await inspect(...names)).map((c: any) => ({
    image: c.Config.Labels["com.docker.compose.service"] === "web" ? "(built)" : c.Config.Image,
    cmd: c.Config.Cmd, entrypoint: c.Config.Entrypoint, env: [...c.Config.Env].sort(), healthcheck: c.Config.Healthcheck ?? null,
    labels: ["project", "service", "container-number", "oneoff"].map((k) => c.Config.Labels[`com.docker.compose.${k}`]),
    networks: Object.entries(c.NetworkSettings.Networks).map(([n, e]: [string, any]) => [n, e.Aliases.includes(c.Config.Labels["com.docker.compose.service"])]),
    mounts: c.Mounts.map((m: any) => ({ type: m.Type, name: m.Name ?? m.Source, destination: m.Destination, rw: m.RW })).sort((a: any, b: any) => a.destination.localeCompare(b.destination)),
    ports: c.HostConfig.PortBindings,
  }));
}

describe.if(ok)("docker-compose 1.29 runs the issue's project against berth", () => {
  let made: unknown[] = [];
  // One project through the steps in order; each step is a test of its own so that a slow
  // machine (docker-compose takes seconds to start there) stays within a test's time.
  let ids: Record<string, string> = {};
  const idsNow = async () => Object.fromEntries((await inspect("app_web_1", "app_db_1", "app_worker_1", "app_migrate_1")).map((c: any) => [c.Name.slice(1), c.Id]));

  test("up -d: the web built and published, the migration done first, the worker waiting for the healthy db", async () => {
    const up = await compose(["up", "-d"]);
    expect(up.stderr).toContain("Creating network \"app_front\"");
    expect(up.code).toBe(0);
    const [web, db, , migrate] = await inspect("app_web_1", "app_db_1", "app_worker_1", "app_migrate_1");
    expect(migrate.State).toMatchObject({ Running: false, ExitCode: 0 });
    expect(Date.parse(web.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(migrate.State.FinishedAt));
    expect(db.State.Health.Status).toBe("healthy");
    const healthy = (await events("health_status")).find((e) => e.Actor.Attributes.name === "app_db_1" && e.status === "health_status: healthy");
    const workerStart = (await events("start")).find((e) => e.Actor.Attributes.name === "app_worker_1");
    expect(workerStart.timeNano).toBeGreaterThanOrEqual(healthy.timeNano);
    expect(web.Config.Image).toBe("app_web");
    expect(web.Config.Labels).toMatchObject({ "com.docker.compose.project": "app", "com.docker.compose.service": "web", "com.docker.compose.container-number": "1" });
    expect(Object.keys(web.NetworkSettings.Networks)).toEqual(["app_front"]);
    expect(web.NetworkSettings.Networks.app_front.Aliases).toContain("web");
    expect(db.Mounts).toEqual([expect.objectContaining({ Type: "volume", Name: "app_dbdata", Destination: "/data" })]);
    // docker-compose 1.29 also makes the default network, which only the profile's service uses.
    expect(await names("network")).toEqual(["app_back", "app_default", "app_front"]);
    expect(await containers()).toEqual(["app_db_1", "app_migrate_1", "app_web_1", "app_worker_1"]); // not the profile's
  }, 180_000);

  test("the web answers on its published port from the host, with the secret and the .env's value; the worker reached the db", async () => {
    expect(await until(async () => (await hostGet("/www/index.html")).includes("built-from-dockerfile"), 10_000)).toBe(true);
    const exec = await compose(["exec", "-T", "web", "sh", "-c", "cat /run/secrets/token; echo $GREETING"]);
    expect(exec).toMatchObject({ code: 0, stdout: "s3cret-token\nhello\n" });
    let logs = "";
    expect(await until(async () => (logs = (await compose(["logs", "--no-color", "worker"])).stdout).includes("worker reached db"), 30_000)).toBe(true);
    expect(logs).toMatch(/^worker_1 +\| worker reached db at \d+\.\d+\.\d+\.\d+$/m);
    expect((await compose(["ps"])).stdout).toMatch(/^app_db_1 .* Up \(healthy\)/m);
    made = await shape(["app_web_1", "app_db_1", "app_worker_1", "app_migrate_1"]);
  }, 180_000);

  test("a second up recreates nothing; after a change to the web's environment, only the web", async () => {
    ids = await idsNow();
    const again = await compose(["up", "-d"]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain("Recreating");
    expect(await idsNow()).toEqual(ids);
    const changed = await compose(["up", "-d"], { GREETING: "changed" });
    expect(changed.code).toBe(0);
    expect(changed.stderr).toContain("Recreating app_web_1");
    const after = await idsNow();
    expect(after.app_web_1).not.toBe(ids.app_web_1);
    expect({ ...after, app_web_1: "" }).toEqual({ ...ids, app_web_1: "" });
    expect((await compose(["exec", "-T", "web", "sh", "-c", "echo $GREETING"], { GREETING: "changed" })).stdout).toBe("changed\n");
  }, 180_000);

  test("the profile's service comes when its profile is asked for", async () => {
    expect((await compose(["--profile", "debug", "up", "-d", "debug"], { GREETING: "changed" })).code).toBe(0);
    expect((await inspect("app_debug_1"))[0].State.Running).toBe(true);
  }, 180_000);

  test("down removes the containers and networks and keeps the volume; down -v removes it", async () => {
    const down = await compose(["--profile", "debug", "down", "-t", "1"], { GREETING: "changed" });
    expect(down.code).toBe(0);
    expect(await containers()).toEqual([]);
    expect(await names("network")).toEqual([]);
    expect(await names("volume")).toEqual(["app_dbdata"]);
    expect((await compose(["up", "-d", "db"])).code).toBe(0);
    expect((await compose(["down", "-v", "-t", "1"])).code).toBe(0);
    expect(await names("volume")).toEqual([]);
    expect(await containers()).toEqual([]);
  }, 180_000);

  test("berth compose makes the same containers from the same files", async () => {
    const up = await daemon.compose(dir, ["up", "-d", "--wait"]);
    expect(up.code).toBe(0);
    expect(await shape(["app-web-1", "app-db-1", "app-worker-1", "app-migrate-1"])).toEqual(made);
    expect((await daemon.compose(dir, ["down", "-v", "-t", "1"])).code).toBe(0);
    expect(await containers()).toEqual([]);
  }, 180_000);
});
