// The compose command line's finer parts against a real daemon (in a network
// namespace of the test's own): up's --no-recreate, --force-recreate,
// --no-deps, --abort-on-container-exit and --wait-timeout; restart taking
// along the dependants with depends_on.restart; deploy's replicas and
// resource limits; exec --index; ps --status and --format; logs -f, --tail,
// -t and coloured prefixes on a terminal; run -p, --entrypoint and --no-deps;
// build.secrets; pull and push through a local registry; down --rmi.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd } from "../fixtures/daemon.ts";
import { writeProject } from "./app-project.ts";
import { composeDaemonForFile } from "./compose-daemon.ts";

const daemon = composeDaemonForFile("cmpf");
const { ok, ns } = daemon;
const work = mkdtempSync("/tmp/berth-compose-flags-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const inspect = async (name: string) => JSON.parse((await daemon.d.cli(["inspect", name])).stdout)[0];
const id = async (name: string) => (await inspect(name)).Id as string;
const startedAt = async (name: string) => (await inspect(name)).State.StartedAt as string;
const running = async (name: string) => (await inspect(name)).State.Running as boolean;
const hostGet = async (port: number, path: string) => (await $`printf ${`GET ${path} HTTP/1.0\r\n\r\n`} | nsenter --net=/run/netns/${ns} busybox nc -w 3 127.0.0.1 ${port}`.nothrow().quiet()).stdout.toString();

/** Polls `probe` until it gives true, `ms` at most. */
async function until(probe: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await Bun.sleep(100)) if (await probe()) return true;
  return probe();
}

// sleep as PID 1 ignores SIGTERM: SIGKILL stops these at once.
const flagsProject = `
services:
  db:
    image: busybox
    # What is written to the FIFO later shows in its output, for logs -f.
    command: ["sh", "-c", "rm -f /tmp/say; busybox mkfifo /tmp/say; echo db-started; while true; do cat /tmp/say; done"]
    stop_signal: SIGKILL
  app:
    image: busybox
    command: sleep 100000
    stop_signal: SIGKILL
    environment: ["V=\${V:-1}"]
    depends_on:
      db: {condition: service_started, restart: true}
  other:
    image: busybox
    command: sleep 100000
    stop_signal: SIGKILL
    depends_on: [db]
  w:
    image: busybox
    command: sleep 100000
    stop_signal: SIGKILL
    deploy:
      replicas: 2
      resources:
        limits: {cpus: "0.5", memory: 64M, pids: 50}
  web:
    image: busybox
    command: ["busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]
    stop_signal: SIGKILL
    profiles: [web]
`;

describe.if(ok)("compose flags", () => {
  const dir = join(work, "fl");
  const compose = (args: string[], env: Record<string, string> = {}) => daemon.compose(dir, args, env);
  beforeAll(() => {
    writeProject(dir, { "compose.yaml": flagsProject });
  });

  test("up --no-recreate keeps a changed service's container, --no-deps --force-recreate recreates only the one named, --force-recreate all; --no-deps leaves a stopped dependency alone", async () => {
    expect((await compose(["up", "-d"])).code).toBe(0);
    const names = ["fl-db-1", "fl-app-1", "fl-other-1", "fl-w-1", "fl-w-2"];
    const before = await Promise.all(names.map(id));
    const kept = await compose(["up", "-d", "--no-recreate"], { V: "2" });
    expect(kept.code).toBe(0);
    expect(kept.stderr).not.toContain("Recreate");
    expect(await Promise.all(names.map(id))).toEqual(before);
    expect((await inspect("fl-app-1")).Config.Env).toContain("V=1");

    const one = await compose(["up", "-d", "--no-deps", "--force-recreate", "app"]);
    expect(one.code).toBe(0);
    const afterOne = await Promise.all(names.map(id));
    expect(afterOne[1]).not.toBe(before[1]);
    expect([afterOne[0], ...afterOne.slice(2)]).toEqual([before[0], ...before.slice(2)]);

    expect((await compose(["up", "-d", "--force-recreate"])).code).toBe(0);
    const afterAll = await Promise.all(names.map(id));
    for (let i = 0; i < names.length; i++) expect(afterAll[i]).not.toBe(afterOne[i]);
    expect((await compose(["up", "-d", "--force-recreate", "--no-recreate"])).stderr).toContain("incompatible");

    expect((await daemon.d.cli(["stop", "fl-db-1"])).code).toBe(0);
    expect((await compose(["up", "-d", "--no-deps", "app"])).code).toBe(0);
    expect(await running("fl-db-1")).toBe(false);
    expect(await running("fl-app-1")).toBe(true);
    expect((await compose(["up", "-d", "app"])).code).toBe(0);
    expect(await running("fl-db-1")).toBe(true);
  });

  test("restart takes along the services that depend on it with restart: true, not the others; --no-deps only the one named", async () => {
    const at = async () => Promise.all(["fl-db-1", "fl-app-1", "fl-other-1"].map(startedAt));
    const [db0, app0, other0] = await at();
    expect((await compose(["restart", "-t", "1", "db"])).code).toBe(0);
    const [db1, app1, other1] = await at();
    expect(db1).not.toBe(db0);
    expect(app1).not.toBe(app0);
    expect(other1).toBe(other0);
    expect((await compose(["restart", "--no-deps", "-t", "1", "db"])).code).toBe(0);
    const [db2, app2] = await at();
    expect(db2).not.toBe(db1);
    expect(app2).toBe(app1);
  });

  test("deploy.replicas and deploy.resources.limits; exec --index picks the replica", async () => {
    for (const n of ["fl-w-1", "fl-w-2"]) {
      const h = (await inspect(n)).HostConfig;
      expect([h.NanoCpus, h.Memory, h.PidsLimit]).toEqual([500_000_000, 64 * 1024 * 1024, 50]);
    }
    const second = await compose(["exec", "-T", "--index", "2", "w", "hostname"]);
    expect(second.stdout).toBe(`${(await inspect("fl-w-2")).Config.Hostname}\n`);
    expect(second.stdout).not.toBe(`${(await inspect("fl-w-1")).Config.Hostname}\n`);
    const third = await compose(["exec", "-T", "--index", "3", "w", "true"]);
    expect(third.code).toBe(1);
    expect(third.stderr).toContain('service "w" is not running container #3');
  });

  test("ps --status and --format (a template, json)", async () => {
    expect((await compose(["stop", "other"])).code).toBe(0);
    expect((await compose(["ps", "--status", "exited", "--format", "{{.Name}}"])).stdout).toBe("fl-other-1\n");
    const up = (await compose(["ps", "--status", "running", "--format", "{{.Service}}:{{.State}}"])).stdout.split("\n").filter(Boolean).sort();
    expect(up).toEqual(["app:running", "db:running", "w:running", "w:running"]);
    const json = (await compose(["ps", "-a", "--format", "json"])).stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    expect(json.map((c) => c.Name).sort()).toEqual(["fl-app-1", "fl-db-1", "fl-other-1", "fl-w-1", "fl-w-2"]);
    expect(json.find((c) => c.Name === "fl-other-1")).toMatchObject({ Service: "other", State: "exited", Project: "fl" });
    const bad = await compose(["ps", "--status", "sleeping"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("invalid filter: status=sleeping");
    expect((await compose(["start", "other"])).code).toBe(0);
  });

  test("logs --tail and -t; -f follows what comes later; on a terminal each name is coloured", async () => {
    expect((await compose(["logs", "--no-log-prefix", "--tail", "1", "db"])).stdout).toBe("db-started\n");
    expect((await compose(["logs", "-t", "db"])).stdout).toMatch(/^db-1 +\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z db-started$/m);

    const follow = Bun.spawn([...berthCmd, "-H", daemon.d.host, "compose", "logs", "-f", "--no-color", "db"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    const kill = setTimeout(() => follow.kill(9), 30_000);
    try {
      const reader = follow.stdout.getReader();
      let text = "";
      const read = async (want: string) => {
        while (!text.includes(want)) {
          const { done, value } = await reader.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
      };
      await read("db-started");
      expect((await daemon.d.cli(["exec", "fl-db-1", "sh", "-c", "echo followed-line > /tmp/say"])).code).toBe(0);
      await read("followed-line");
      expect(text).toMatch(/^db-1 +\| followed-line$/m);
      expect(follow.exitCode).toBeNull(); // still following
    } finally {
      clearTimeout(kill);
      follow.kill();
    }

    // Through script(1), stdout is a terminal: the prefix is coloured, and --no-color takes that away.
    const onTerminal = async (args: string) => (await $`script -qec ${`${berthCmd.join(" ")} -H ${daemon.d.host} compose ${args}`} /dev/null`.cwd(dir).nothrow().quiet()).stdout.toString();
    expect(await onTerminal("logs db")).toMatch(/\x1b\[3\dmdb-1 +\|\x1b\[0m db-started\r?\n/);
    const plain = await onTerminal("logs --no-color db");
    expect(plain).toMatch(/^db-1 +\| db-started\r?$/m);
    expect(plain).not.toContain("\x1b[");
  });

  test("run -p publishes the port asked for, --entrypoint is split into words, --no-deps leaves the dependencies alone", async () => {
    const detached = await compose(["run", "-d", "-p", "18484:80", "web"]);
    expect(detached.code).toBe(0);
    const name = detached.stdout.trim();
    expect(await until(async () => (await hostGet(18484, "/passwd")).includes("root:x:0:0"), 10_000)).toBe(true);
    await daemon.d.cli(["rm", "-f", name]);

    const ep = await compose(["run", "--rm", "-T", "--entrypoint", "echo from-entrypoint", "db", "x"]);
    expect(ep).toMatchObject({ code: 0, stdout: "from-entrypoint x\n" });

    expect((await compose(["stop", "db"])).code).toBe(0);
    expect((await compose(["run", "--rm", "-T", "--no-deps", "app", "echo", "alone"])).stdout).toBe("alone\n");
    expect(await running("fl-db-1")).toBe(false);
    expect((await compose(["run", "--rm", "-T", "app", "echo", "with-deps"])).stdout).toBe("with-deps\n");
    expect(await running("fl-db-1")).toBe(true);
    expect((await compose(["down", "-t", "0"])).code).toBe(0);
  });
});

describe.if(ok)("attached up and --wait", () => {
  test("--abort-on-container-exit stops the rest when one exits and returns its code", async () => {
    const dir = writeProject(join(work, "ab"), { "compose.yaml": "services:\n  a: {image: busybox, command: sh -c 'echo a-ran; exit 4'}\n  b: {image: busybox, command: sleep 100000, stop_signal: SIGKILL}\n" });
    const r = await daemon.compose(dir, ["up", "--no-color", "--abort-on-container-exit"]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^a-1 +\| a-ran$/m);
    expect(r.stderr).toContain("Aborting on container exit..."); // compose's notice, on stderr
    expect(r.stdout).toContain("b-1 exited with code 137"); // compose (2.39 on) reports the exits its stop causes too
    expect(r.stderr).toContain(" Container ab-b-1  Stopped\n");
    expect(await running("ab-b-1")).toBe(false);
    expect((await daemon.compose(dir, ["down", "-t", "0"])).code).toBe(0);
  });

  /** `compose up --no-color` in `dir`, read until its stdout holds `mark`. */
  async function upUntil(dir: string, mark: string) {
    const p = Bun.spawn([...berthCmd, "-H", daemon.d.host, "compose", "up", "--no-color"], { cwd: dir, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const stderr = new Response(p.stderr).text();
    const reader = p.stdout.getReader();
    let out = "";
    while (!out.includes(mark)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    expect(out).toContain(mark);
    const rest = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return out;
        out += new TextDecoder().decode(value);
      }
    })();
    const killer = setTimeout(() => p.kill(9), 60_000);
    const ended = p.exited.then(async (code) => {
      clearTimeout(killer);
      return { code, stdout: await rest, stderr: await stderr };
    });
    return { p, ended };
  }

  test("Ctrl+C: compose's notice on stdout, no more output or exits of the containers, their stops on stderr, status 130", async () => {
    // The container answers SIGTERM with a line and exit 3: compose prints neither once Ctrl+C was pressed.
    const dir = writeProject(join(work, "cc"), { "compose.yaml": `services:
  t: {image: busybox, command: ["sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; while true; do sleep 0.1; done"]}
` });
    const { p, ended } = await upUntil(dir, "t-1  | ready\n");
    p.kill("SIGINT");
    const r = await ended;
    expect(r.code).toBe(130);
    expect(r.stdout).toContain("Gracefully Stopping... press Ctrl+C again to force\n");
    expect(r.stdout).not.toContain("got-term");
    expect(r.stdout).not.toContain("exited with code");
    expect(r.stderr).toContain(" Container cc-t-1  Stopping\n Container cc-t-1  Stopped\n");
    const state = (await inspect("cc-t-1")).State;
    expect(state.Running).toBe(false);
    expect(state.ExitCode).toBe(3); // stopped by its SIGTERM, not killed
    expect((await daemon.compose(dir, ["down", "-t", "0"])).code).toBe(0);
  });

  test("Ctrl+C while a service waits for its dependency: the dependency stops, the waiting one never starts, up ends with 130", async () => {
    const dir = writeProject(join(work, "cw"), { "compose.yaml": `services:
  db: {image: busybox, command: sleep 100000, stop_signal: SIGKILL, healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 100}}
  app: {image: busybox, command: echo app-ran, depends_on: {db: {condition: service_healthy}}}
` });
    const { p, ended } = await upUntil(dir, "Attaching to app-1, db-1");
    expect(await until(() => running("cw-db-1"), 10_000)).toBe(true);
    p.kill("SIGINT");
    const r = await ended;
    expect(r.code).toBe(130);
    expect(r.stdout).not.toContain("app-ran");
    expect(r.stderr).toContain(" Container cw-db-1  Stopped\n");
    expect(r.stderr).not.toContain("dependency failed");
    expect((await inspect("cw-app-1")).State.StartedAt).toStartWith("0001-");
    expect(await running("cw-db-1")).toBe(false);
    expect((await daemon.compose(dir, ["down", "-t", "0"])).code).toBe(0);
  });

  test("a second Ctrl+C kills what the first is stopping", async () => {
    // sleep as PID 1 ignores SIGTERM: a graceful stop alone would wait out the 10 s timeout.
    const dir = writeProject(join(work, "ci"), { "compose.yaml": "services:\n  s: {image: busybox, command: sleep 100000}\n" });
    const { p, ended } = await upUntil(dir, "Attaching to s-1");
    // Until the container runs, a stop has nothing to wait for.
    expect(await until(() => running("ci-s-1"), 10_000)).toBe(true);
    p.kill("SIGINT");
    await Bun.sleep(500);
    const t0 = Date.now();
    p.kill("SIGINT");
    const r = await ended;
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(r.code).toBe(130);
    expect(r.stdout).toContain("Gracefully Stopping... press Ctrl+C again to force");
    expect(await running("ci-s-1")).toBe(false);
    expect((await daemon.compose(dir, ["down", "-t", "0"])).code).toBe(0);
  });

  test("logs -f prints each exit, follows a container that its restart policy starts again, and ends once all that ran have exited", async () => {
    // w outlives both runs of r: the daemon marks no exit as restarting, so only a container still
    // running keeps logs -f on until the restart's start comes.
    const dir = writeProject(join(work, "lf"), { "compose.yaml": `services:
  w: {image: busybox, command: sh -c 'echo w-says; sleep 6; exit 5'}
  r: {image: busybox, command: sh -c 'echo r-run; sleep 1; exit 1', restart: "on-failure:1"}
` });
    expect((await daemon.compose(dir, ["up", "-d"])).code).toBe(0);
    const t0 = Date.now();
    const r = await daemon.compose(dir, ["logs", "-f", "--no-color"]);
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.stdout).toMatch(/^w-1 +\| w-says$/m);
    expect(r.stdout).toContain("\nw-1 exited with code 5\n");
    // Both runs of r: the second followed from its start, each exit reported.
    expect(r.stdout.match(/^r-1 +\| r-run$/gm)).toHaveLength(2);
    expect(r.stdout.match(/^r-1 exited with code 1( \(restarting\))?$/gm)).toHaveLength(2);
    expect((await daemon.compose(dir, ["down", "-t", "0"])).code).toBe(0);
  });

  test("up SERVICE attaches to that service alone (its dependencies with --attach-dependencies); --attach and --no-attach pick; conflicting flags fail with compose's words", async () => {
    const dir = writeProject(join(work, "at"), { "compose.yaml": `services:
  web: {image: busybox, command: sh -c 'sleep 0.5; echo web-says', depends_on: [db]}
  db: {image: busybox, command: sh -c 'echo db-says; exec sleep 100000', stop_signal: SIGKILL}
` });
    const one = await daemon.compose(dir, ["up", "--no-color", "web"]);
    expect(one.code).toBe(0);
    expect(one.stdout).toStartWith("Attaching to web-1\n");
    expect(one.stdout).toMatch(/^web-1 +\| web-says$/m);
    expect(one.stdout).not.toContain("db-says"); // not attached, and up ended with web while db runs on
    expect(await running("at-db-1")).toBe(true);
    const deps = await daemon.compose(dir, ["up", "--no-color", "--attach-dependencies", "--abort-on-container-exit", "web"]);
    expect(deps.stdout).toStartWith("Attaching to db-1, web-1\n");
    expect(deps.stdout).toMatch(/^web-1 +\| web-says$/m);
    expect((await daemon.compose(dir, ["up", "--no-color", "--no-attach", "db"])).stdout).toStartWith("Attaching to web-1\n");
    const only = await daemon.compose(dir, ["up", "--no-color", "--attach", "web", "--abort-on-container-exit"]);
    expect(only.stdout).toStartWith("Attaching to web-1\n");
    for (const [args, message] of [
      [["up", "-d", "--attach", "web"], "--detach cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach, --attach-dependencies or --watch"],
      [["up", "--wait", "--attach-dependencies"], "--wait cannot be combined with --abort-on-container-exit, --attach or --attach-dependencies"],
      [["up", "--attach", "web", "--attach-dependencies"], "cannot combine --attach and --attach-dependencies"],
      [["up", "--abort-on-container-exit", "--abort-on-container-failure"], "--abort-on-container-failure cannot be combined with --abort-on-container-exit"],
      [["up", "--attach", "nope"], "cannot attach to services not included in up: nope"],
    ] as [string[], string][]) {
      const r = await daemon.compose(dir, args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
    }
    expect((await daemon.compose(dir, ["down", "-t", "0"])).code).toBe(0);
  });

  test("--abort-on-container-failure: an exit 0 stops nothing, the first failure stops the rest and is up's status", async () => {
    const dir = writeProject(join(work, "af"), { "compose.yaml": `services:
  ok: {image: busybox, command: 'true'}
  bad: {image: busybox, command: sh -c 'sleep 1; echo failing; exit 3'}
  long: {image: busybox, command: sleep 100000, stop_signal: SIGKILL}
` });
    const r = await daemon.compose(dir, ["up", "--no-color", "--abort-on-container-failure"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("ok-1 exited with code 0\n");
    expect(r.stdout).toMatch(/^bad-1 +\| failing$/m);
    expect(r.stdout).toContain("bad-1 exited with code 3\n");
    expect(r.stdout).toContain("long-1 exited with code 137\n");
    expect(r.stderr).toContain("Aborting on container exit...");
    expect(await running("af-long-1")).toBe(false);
    expect((await daemon.compose(dir, ["down", "-t", "0"])).code).toBe(0);
  });

  test("--wait fails with the unhealthy service's name", async () => {
    const dir = writeProject(join(work, "wu"), {
      "compose.yaml": "services:\n  fine: {image: busybox, command: sleep 100000, stop_signal: SIGKILL}\n  sick:\n    image: busybox\n    command: sleep 100000\n    stop_signal: SIGKILL\n    healthcheck: {test: [CMD, 'false'], interval: 1s, retries: 1}\n",
    });
    const r = await daemon.compose(dir, ["up", "-d", "--wait"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("container wu-sick-1 is unhealthy");
    expect((await inspect("wu-sick-1")).State.Health.Status).toBe("unhealthy");
    expect((await daemon.compose(dir, ["down", "-t", "0"])).code).toBe(0);
  });

  test("--wait-timeout: a service still starting when it runs out fails the up with compose's message", async () => {
    const dir = writeProject(join(work, "wt"), {
      "compose.yaml": "services:\n  s:\n    image: busybox\n    command: sleep 100000\n    stop_signal: SIGKILL\n    healthcheck: {test: [CMD, 'false'], interval: 1m, start_period: 5m, start_interval: 1s}\n",
    });
    const r = await daemon.compose(dir, ["up", "-d", "--wait", "--wait-timeout", "2"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("application not healthy after 2s");
    expect((await inspect("wt-s-1")).State.Health.Status).toBe("starting");
    expect((await daemon.compose(dir, ["down", "-t", "0"])).code).toBe(0);
  });
});

describe.if(ok)("timeouts and orphans", () => {
  // sleep as PID 1 ignores SIGTERM, and stop_grace_period asks for a minute: only -t makes the stop short.
  const slowProject = "services:\n  slow: {image: busybox, command: sleep 100000, stop_grace_period: 60s}\n  b: {image: busybox, command: sleep 100000, stop_signal: SIGKILL}\n";

  test("up -t and down -t bound the stop of a container that ignores SIGTERM, over its stop_grace_period", async () => {
    const dir = writeProject(join(work, "tt"), { "compose.yaml": slowProject });
    expect((await daemon.compose(dir, ["up", "-d"])).code).toBe(0);
    expect((await inspect("tt-slow-1")).Config.StopTimeout).toBe(60);
    const timed = async (args: string[]) => {
      const start = Date.now();
      const r = await daemon.compose(dir, args);
      expect(r.code).toBe(0);
      return { ...r, ms: Date.now() - start };
    };
    const before = await id("tt-slow-1");
    const recreate = await timed(["up", "-d", "--force-recreate", "-t", "1", "slow"]);
    expect(recreate.stderr).toContain("Container tt-slow-1  Recreated");
    expect(await id("tt-slow-1")).not.toBe(before);
    // At least the second it waited for SIGTERM to work, far less than the minute stop_grace_period asks.
    expect(recreate.ms).toBeGreaterThanOrEqual(1000);
    expect(recreate.ms).toBeLessThan(40_000);
    const down = await timed(["down", "-t", "1"]);
    expect(down.ms).toBeGreaterThanOrEqual(1000);
    expect(down.ms).toBeLessThan(40_000);
    expect((await daemon.d.cli(["ps", "-aq", "--filter", "label=com.docker.compose.project=tt"])).stdout).toBe("");
  }, 120_000);

  test("down leaves an orphan (and the network it holds) with compose's warnings; down --remove-orphans takes them", async () => {
    const dir = writeProject(join(work, "orph"), { "compose.yaml": slowProject.replace("stop_grace_period: 60s", "stop_signal: SIGKILL") });
    expect((await daemon.compose(dir, ["up", "-d"])).code).toBe(0);
    writeFileSync(join(dir, "compose.yaml"), "services:\n  slow: {image: busybox, command: sleep 100000, stop_signal: SIGKILL}\n");
    const kept = await daemon.compose(dir, ["down", "-t", "0"]);
    expect(kept.code).toBe(0);
    expect(kept.stderr).toContain("Found orphan containers ([orph-b-1]) for this project");
    expect(kept.stderr).toContain(" Network orph_default  Removing\n Network orph_default  Resource is still in use\n");
    expect(await running("orph-b-1")).toBe(true);
    expect((await daemon.d.cli(["inspect", "orph-slow-1"])).code).not.toBe(0);
    const removed = await daemon.compose(dir, ["down", "-t", "0", "--remove-orphans"]);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toContain("Container orph-b-1  Removed");
    expect(removed.stderr).toContain("Network orph_default  Removed");
    expect((await daemon.d.cli(["ps", "-aq", "--filter", "label=com.docker.compose.project=orph"])).stdout).toBe("");
    expect((await daemon.d.cli(["network", "ls", "-q", "--filter", "name=orph_default"])).stdout).toBe("");
  });
});
