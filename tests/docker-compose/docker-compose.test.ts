// docker-compose 1.29 (Debian's, Python, speaking the Engine API through
// docker-py) drives berth's daemon unchanged: a project with two services on a
// user network, a named volume, a published port, environment, a healthcheck
// and a dependency on it (service_healthy), through up -d, ps, logs, exec,
// run --rm, top, restart and down -v. The daemon runs in a network namespace
// of the test's own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const composeBin = "/usr/bin/docker-compose";
const ns = `berth-dc-${Math.random().toString(36).slice(2, 8)}`;
const nsPath = `/run/netns/${ns}`;
const project = "shop";
let d: TestDaemon;
let tmp: string;
const ok = requireDaemon() && haveCompose();

function haveCompose(): boolean {
  if (existsSync(composeBin)) return true;
  if (process.env.CI === "true") throw new Error("docker-compose is not installed (Debian's docker-compose package)");
  console.warn("skipping: docker-compose is not installed");
  return false;
}

const composeFile = `
services:
  db:
    image: busybox
    command: sh -c 'echo "db up as $$ROLE"; echo db-ready > /data/ready; exec busybox httpd -f -p 8080 -h /data'
    environment:
      - ROLE=primary
    volumes:
      - dbdata:/data
    networks: [back]
    healthcheck:
      test: ["CMD-SHELL", "test -e /data/ready"]
      interval: 300ms
      timeout: 10s
      retries: 3
  web:
    image: busybox
    command: sh -c 'echo "web up"; mkdir -p /www && echo "$$GREETING from web" > /www/index.html && exec busybox httpd -f -p 80 -h /www'
    environment:
      GREETING: hello
    ports:
      - "127.0.0.1:18180:80"
    depends_on:
      db:
        condition: service_healthy
    networks: [back]
volumes:
  dbdata: {}
networks:
  back: {}
`;

async function compose(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn([composeBin, "-p", project, "--no-ansi", ...args], {
    cwd: join(tmp, "project"),
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(tmp, "docker-config"), COMPOSE_INTERACTIVE_NO_CLI: "1" },
    stdin: "ignore", stdout: "pipe", stderr: "pipe",
  });
  const timer = setTimeout(() => p.kill(9), 90_000);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

async function inspect(name: string): Promise<any> {
  const r = await fetch(`http://localhost/containers/${name}/json`, { unix: d.socket } as RequestInit);
  expect(r.status).toBe(200);
  return r.json();
}

beforeAll(async () => {
  if (!ok) return;
  tmp = mkdtempSync("/tmp/berth-test-compose-");
  mkdirSync(join(tmp, "project"));
  writeFileSync(join(tmp, "project", "docker-compose.yml"), composeFile);
  await $`ip netns add ${ns}`.quiet();
  await $`ip -n ${ns} link set lo up`.quiet();
  d = await startDaemon({ bridge: true, netns: nsPath });
  expect((await d.cli(["import", busyboxRootfsTar(tmp), "busybox:latest", "--change", 'CMD ["sh"]'])).code).toBe(0);
});
afterAll(async () => {
  if (!ok) return;
  await d?.stop();
  await $`ip netns del ${ns}`.nothrow().quiet();
  rmSync(tmp, { recursive: true, force: true });
});

describe.if(ok)("docker-compose 1.29 against berth", () => {
  // The tests go in order on one project; each step is its own test so that a slow machine
  // (docker-compose is a Python program that takes seconds to start there) stays within a test's time.
  let dbStartedAt = 0;

  test("up -d starts db, waits for its probe, then web: names, labels, environment, volume and network as compose asks", async () => {
    const up = await compose("up", "-d");
    expect(up.stderr).toContain(`Creating network "${project}_back"`);
    expect(up.code).toBe(0);
    // service_healthy: web was started only once db's probe had passed.
    const db = await inspect(`${project}_db_1`);
    const web = await inspect(`${project}_web_1`);
    expect(db.State.Health.Status).toBe("healthy");
    // From the events: the health log keeps only the last five probes (every 300 ms), which may all be later than web's start.
    const events = await fetch(`http://localhost/events?since=0&until=${Math.ceil(Date.now() / 1000) + 1}`, { unix: d.socket } as RequestInit);
    const seen = (await events.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const when = (name: string, action: string) => seen.find((e) => e.Action === action && e.Actor?.Attributes?.name === name)?.timeNano;
    const healthy = when(`${project}_db_1`, "health_status: healthy");
    const webStart = when(`${project}_web_1`, "start");
    expect(healthy).toBeDefined();
    expect(webStart).toBeGreaterThanOrEqual(healthy);
    expect(db.Config.Labels).toMatchObject({ "com.docker.compose.project": project, "com.docker.compose.service": "db", "com.docker.compose.container-number": "1" });
    expect(db.Config.Env).toContain("ROLE=primary");
    expect(db.Mounts).toEqual([expect.objectContaining({ Type: "volume", Name: `${project}_dbdata`, Destination: "/data" })]);
    expect(Object.keys(web.NetworkSettings.Networks)).toEqual([`${project}_back`]);
    expect(web.NetworkSettings.Networks[`${project}_back`].Aliases).toContain("web");
    dbStartedAt = Date.parse(db.State.StartedAt);
  }, 180_000);

  test("ps, logs, exec; web reaches db by name, the host reaches web on its published port", async () => {
    const ps = await compose("ps");
    expect(ps.code).toBe(0);
    expect(ps.stdout).toMatch(new RegExp(`^${project}_db_1 .* Up \\(healthy\\)`, "m"));
    expect(ps.stdout).toMatch(new RegExp(`^${project}_web_1 .* Up .*127\\.0\\.0\\.1:18180->80/tcp`, "m"));

    const logs = await compose("logs", "--no-color");
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(new RegExp("^db_1 +\\| db up as primary$", "m"));
    expect(logs.stdout).toMatch(new RegExp("^web_1 +\\| web up$", "m"));

    // web reaches db by its service name on the project's network.
    const exec = await compose("exec", "-T", "web", "sh", "-c", "cat /www/index.html; printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 db 8080");
    expect(exec.code).toBe(0);
    expect(exec.stdout).toStartWith("hello from web\n");
    expect(exec.stdout).toContain("\r\n\r\ndb-ready\n");
    // And the host reaches web on its published port.
    const fromHost = await $`printf ${"GET / HTTP/1.0\r\n\r\n"} | nsenter --net=${nsPath} busybox nc -w 5 127.0.0.1 18180`.nothrow().quiet();
    expect(fromHost.stdout.toString()).toEndWith("\r\n\r\nhello from web\n");
  }, 180_000);

  test("run --rm, top and restart", async () => {
    // A one-off container: its exit code, and --rm removes it. (Its output is not checked: berth's
    // attach before start loses a short run's output now and then under load, as in the lifecycle test.)
    const run = await compose("run", "--rm", "-T", "web", "sh", "-c", "echo one-off $GREETING; exit 3");
    expect(run.code).toBe(3);
    const top = await compose("top", "db");
    expect(top.stdout).toMatch(/busybox httpd -f -p 8080 -h \/data/);
    const restart = await compose("restart", "-t", "1", "db");
    expect(restart.code).toBe(0);
    const again = await inspect(`${project}_db_1`);
    expect(Date.parse(again.State.StartedAt)).toBeGreaterThan(dbStartedAt);
    expect((await d.cli(["ps", "-a", "--format", "{{.Names}}"])).stdout.split("\n").filter(Boolean).sort()).toEqual([`${project}_db_1`, `${project}_web_1`]);
  }, 180_000);

  test("down -v removes the containers, the network and the volume", async () => {
    const down = await compose("down", "-v", "-t", "1");
    expect(down.code).toBe(0);
    expect((await d.cli(["ps", "-aq"])).stdout).toBe("");
    expect((await d.cli(["network", "ls", "--format", "{{.Name}}"])).stdout).not.toContain(project);
    expect((await d.cli(["volume", "ls", "-q"])).stdout).toBe("");
  }, 180_000);
});
