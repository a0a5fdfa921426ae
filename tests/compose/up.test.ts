// berth compose against a real daemon (in a network namespace of the test's
// own, with its bridge): the issue's project end to end — a web built from a
// Dockerfile and published, a db writing to a named volume, a worker waiting
// for the healthy db and reaching it by name, a one-off migration, two
// networks, a secret, .env, a profile — then idempotent up, down, down -v;
// and bad input that leaves the project as it was.
import { afterAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appFiles, writeProject } from "./app-project.ts";
import { composeDaemonForFile } from "./compose-daemon.ts";
import { berthCmd } from "../fixtures/daemon.ts";

const daemon = composeDaemonForFile("cmp");
const { ok, ns } = daemon;
const work = mkdtempSync("/tmp/berth-compose-up-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A project directory with these files. */
const project = (name: string, files: Record<string, string>) => writeProject(join(work, name), files);

const compose = (dir: string, args: string[], env: Record<string, string> = {}) => daemon.compose(dir, args, env);
const json = async (args: string[]) => JSON.parse((await daemon.d.cli(args)).stdout);
const names = async (kind: "network" | "volume", prefix: string) => (await daemon.d.cli([kind, "ls", "--format", "{{.Name}}"])).stdout.split("\n").filter((n) => n.startsWith(prefix));
const containerIds = async (project: string) => (await daemon.d.cli(["ps", "-aq", "--no-trunc", "--filter", `label=com.docker.compose.project=${project}`])).stdout.split("\n").filter(Boolean).sort();
const hostGet = async (port: number, path: string) => (await $`printf ${`GET ${path} HTTP/1.0\r\n\r\n`} | nsenter --net=/run/netns/${ns} busybox nc -w 3 127.0.0.1 ${port}`.nothrow().quiet()).stdout.toString();

describe.if(ok)("compose up, ps, logs, down", () => {
  test("the issue's project: up -d --wait, the web from the host, the worker reaching the db, the secret, labels, idempotent up, down, down -v", async () => {
    const dir = project("app", appFiles(18181));
    const up = await compose(dir, ["up", "-d", "--wait"]);
    expect(up.stderr).toContain("Container app-web-1  Started");
    expect(up.code).toBe(0);

    expect(await hostGet(18181, "/www/index.html")).toContain("built-from-dockerfile");
    expect((await daemon.d.cli(["exec", "app-web-1", "cat", "/run/secrets/token"])).stdout).toBe("s3cret-token\n");
    expect((await daemon.d.cli(["exec", "app-web-1", "sh", "-c", "echo $GREETING"])).stdout).toBe("hello\n");
    // The worker waits for the db, then reaches it by name.
    let logs = "";
    for (let i = 0; i < 100 && !logs.includes("worker reached db"); i++) {
      logs = (await compose(dir, ["logs", "worker"])).stdout;
      if (!logs.includes("worker reached db")) await Bun.sleep(100);
    }
    expect(logs).toMatch(/^worker-1 +\| worker reached db at \d+\.\d+\.\d+\.\d+$/m);
    expect((await compose(dir, ["logs", "--no-log-prefix", "migrate"])).stdout).toBe("migrated\n");

    const web = (await json(["inspect", "app-web-1"]))[0];
    expect(web.Config.Labels).toMatchObject({
      "com.docker.compose.project": "app", "com.docker.compose.service": "web", "com.docker.compose.container-number": "1",
      "com.docker.compose.oneoff": "False", "com.docker.compose.project.working_dir": dir, "com.docker.compose.project.config_files": join(dir, "compose.yaml"),
      "com.docker.compose.depends_on": "migrate:service_completed_successfully:false", "com.docker.compose.image": "app-web",
    });
    expect(web.Config.Labels["com.docker.compose.config-hash"]).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(web.NetworkSettings.Networks)).toEqual(["app_front"]);
    expect(web.NetworkSettings.Networks.app_front.Aliases).toContain("web");
    expect((await json(["network", "inspect", "app_back"]))[0].Labels).toMatchObject({ "com.docker.compose.project": "app", "com.docker.compose.network": "back" });
    expect((await json(["volume", "inspect", "app_dbdata"]))[0].Labels).toMatchObject({ "com.docker.compose.project": "app", "com.docker.compose.volume": "dbdata" });

    const ps = await compose(dir, ["ps"]);
    expect(ps.stdout.split("\n")[0]).toMatch(/^NAME +IMAGE +COMMAND +SERVICE +CREATED +STATUS +PORTS$/);
    expect(ps.stdout).toMatch(/app-web-1 +app-web .* web .*Up .*0\.0\.0\.0:18181->80\/tcp/);
    expect(ps.stdout).not.toContain("app-migrate-1"); // exited: only with -a
    expect((await compose(dir, ["ps", "-a", "--services"])).stdout.split("\n").filter(Boolean).sort()).toEqual(["db", "migrate", "web", "worker"]);
    expect((await compose(dir, ["ps", "-a", "--status", "exited", "-q"])).stdout.trim()).toBe((await json(["inspect", "app-migrate-1"]))[0].Id);
    expect(await names("network", "app_")).toEqual(["app_back", "app_front"]);

    // A second up with nothing changed recreates nothing; with web's environment changed, only web.
    const before = await json(["inspect", "app-web-1", "app-db-1", "app-worker-1"]);
    const again = await compose(dir, ["up", "-d"]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain("Recreate");
    const changed = await compose(dir, ["up", "-d"], { GREETING: "changed" });
    expect(changed.stderr).toContain("Container app-web-1  Recreated");
    const after = await json(["inspect", "app-web-1", "app-db-1", "app-worker-1"]);
    expect(after[0].Id).not.toBe(before[0].Id);
    expect(after.slice(1).map((c: any) => c.Id)).toEqual(before.slice(1).map((c: any) => c.Id));
    expect((await daemon.d.cli(["exec", "app-web-1", "sh", "-c", "echo $GREETING"])).stdout).toBe("changed\n");

    // The profile's service comes only when its profile is asked for.
    expect(await containerIds("app")).toHaveLength(4);
    expect((await compose(dir, ["--profile", "debug", "up", "-d", "debug"])).code).toBe(0);
    expect((await json(["inspect", "app-debug-1"]))[0].State.Running).toBe(true);

    // down: containers and networks go, the volume stays; down -v takes it too.
    const down = await compose(dir, ["--profile", "debug", "down", "-t", "1"]);
    expect(down.code).toBe(0);
    expect(await containerIds("app")).toEqual([]);
    expect(await names("network", "app_")).toEqual([]);
    expect(await names("volume", "app_")).toEqual(["app_dbdata"]);
    expect((await compose(dir, ["up", "-d", "db"])).code).toBe(0);
    expect((await compose(dir, ["down", "-v", "-t", "1"])).code).toBe(0);
    expect(await names("volume", "app_")).toEqual([]);
    expect(await containerIds("app")).toEqual([]);
  }, 180_000);

  test("attached up prints each container's output behind its name (compose's: without the project, or its container_name) and returns when they exit; --exit-code-from", async () => {
    const dir = project("attached", { "compose.yaml": "services:\n  a: {image: busybox, command: echo from-a}\n  b: {image: busybox, command: sh -c 'echo from-b; exit 3'}\n  c: {image: busybox, command: echo from-c, container_name: attached-own}\n" });
    const r = await compose(dir, ["up", "--no-color"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Attaching to a-1, b-1, attached-own\n");
    expect(r.stdout).toMatch(/^attached-own +\| from-c$/m);
    expect(r.stdout).toMatch(/^a-1 +\| from-a$/m);
    expect(r.stdout).toMatch(/^b-1 +\| from-b$/m);
    expect(r.stdout).toContain("b-1 exited with code 3");
    const x = await compose(dir, ["up", "--exit-code-from", "b"]);
    expect(x.code).toBe(3);
    // --timestamps: each line stamped when printed, after the prefix, as Go's RFC3339NanoFixed in local time.
    const stamped = await compose(dir, ["up", "--no-color", "--timestamps"], { TZ: "UTC" });
    expect(stamped.stdout).toMatch(/^a-1 +\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z from-a$/m);
    expect((await compose(dir, ["up", "--no-color", "--timestamps", "--no-log-prefix"], { TZ: "Asia/Kolkata" })).stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+05:30 from-a$/m);
    expect((await compose(dir, ["down"])).code).toBe(0);
  }, 120_000);

  test("attached up creates, prints 'Attaching to', attaches and only then starts: a container's first line and a post_start hook's come after it; stderr lines go to stderr", async () => {
    const dir = project("order", {
      "compose.yaml": `services:
  fast:
    image: busybox
    command: sh -c 'echo first-line; echo to-stderr >&2'
  hooked:
    image: busybox
    command: sh -c 'sleep 1; echo main-line'
    post_start:
      - command: echo from-post-start
`,
    });
    const r = await compose(dir, ["up", "--no-color"]);
    expect(r.code).toBe(0);
    // Nothing before compose's line, and every container's first line after it.
    expect(r.stdout.startsWith("Attaching to fast-1, hooked-1\n")).toBe(true);
    expect(r.stdout).toMatch(/^fast-1 +\| first-line$/m);
    expect(r.stdout).toMatch(/^hooked-1 -> +\| from-post-start$/m);
    expect(r.stdout).toMatch(/^hooked-1 +\| main-line$/m);
    expect(r.stdout).toContain("fast-1 exited with code 0\n");
    // A container's stderr goes to up's stderr, behind its name, as compose's attach prints it.
    expect(r.stderr).toMatch(/^fast-1 +\| to-stderr$/m);
    expect(r.stdout).not.toContain("to-stderr");
    // The creates' progress comes before; compose 2 prints none for the starts among the output.
    expect(r.stderr).toContain(" Container order-fast-1  Created\n");
    expect(r.stderr).not.toContain("Started");
    // Run again, the exited containers start again with their first lines after 'Attaching to'.
    const again = await compose(dir, ["up", "--no-color"]);
    expect(again.code).toBe(0);
    expect(again.stdout.startsWith("Attaching to fast-1, hooked-1\n")).toBe(true);
    expect(again.stdout.match(/first-line/g)).toHaveLength(1);
    expect((await compose(dir, ["down", "-t", "0"])).code).toBe(0);
  }, 120_000);

  test("up -d creates every container before it starts any, as compose's two halves do; an up-to-date stopped container is not called Running; down's lines service by service", async () => {
    const dir = project("halves", { "compose.yaml": "services:\n  a: {image: busybox, command: sleep 1000, stop_signal: SIGKILL}\n  b: {image: busybox, command: sleep 1000, stop_signal: SIGKILL, depends_on: [a]}\n" });
    const containerLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith(" Container "));
    const up = await compose(dir, ["up", "-d"]);
    expect(up.code).toBe(0);
    expect(containerLines(up.stderr)).toEqual([
      " Container halves-a-1  Creating", " Container halves-a-1  Created", " Container halves-b-1  Creating", " Container halves-b-1  Created",
      " Container halves-a-1  Starting", " Container halves-a-1  Started", " Container halves-b-1  Starting", " Container halves-b-1  Started",
    ]);
    expect(containerLines((await compose(dir, ["up", "-d"])).stderr)).toEqual([" Container halves-a-1  Running", " Container halves-b-1  Running"]);
    expect((await compose(dir, ["stop", "-t", "0"])).code).toBe(0);
    const create = await compose(dir, ["create"]);
    expect(create.code).toBe(0);
    expect(containerLines(create.stderr)).toEqual([]);
    expect(containerLines((await compose(dir, ["up", "-d"])).stderr)).toEqual([" Container halves-a-1  Starting", " Container halves-a-1  Started", " Container halves-b-1  Starting", " Container halves-b-1  Started"]);
    // down goes service by service, dependants first, and stops a stopped container too, as compose's does.
    expect((await compose(dir, ["stop", "-t", "0", "b"])).code).toBe(0);
    const down = await compose(dir, ["down", "-t", "0"]);
    expect(down.code).toBe(0);
    expect(down.stderr.split("\n").filter(Boolean)).toEqual([
      " Container halves-b-1  Stopping", " Container halves-b-1  Stopped", " Container halves-b-1  Removing", " Container halves-b-1  Removed",
      " Container halves-a-1  Stopping", " Container halves-a-1  Stopped", " Container halves-a-1  Removing", " Container halves-a-1  Removed",
      " Network halves_default  Removing", " Network halves_default  Removed",
    ]);
  }, 120_000);

  test("attached up for a stalled reader: the CLI's memory stays bounded, and every line comes, in order", async () => {
    // ~96 MiB of output from one container, into `compose up | { sleep 4; awk … }`.
    const lines = 200_000;
    const dir = project("stalled", { "compose.yaml": `services:\n  chatty:\n    image: busybox\n    command: ["busybox", "awk", "BEGIN { s = sprintf(\\"%500s\\", \\"x\\"); for (i = 0; i < ${lines}; i++) print i, s }"]\n` });
    const out = join(work, "stalled.digest");
    const sh = Bun.spawn(["bash", "-c", `"$@" | { sleep 4; awk '/^chatty-1 +\\| [0-9]+ +x$/ { n++; if ($3 != n - 1) bad++ } END { print n, bad + 0 }' > ${out}; }`, "bash", ...berthCmd, "-H", daemon.d.host, "compose", "up", "--no-color"], { cwd: dir, stdout: "ignore", stderr: "ignore" });
    const rss = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
    let pid: number | undefined;
    for (let i = 0; i < 200 && !pid; i++, await Bun.sleep(10)) {
      const kids = readFileSync(`/proc/${sh.pid}/task/${sh.pid}/children`, "utf8").split(/\s+/).filter(Boolean).map(Number);
      pid = kids.find((k) => readFileSync(`/proc/${k}/cmdline`, "utf8").startsWith(`${berthCmd[0]}\0`));
    }
    expect(pid).toBeDefined();
    await Bun.sleep(500);
    const start = rss(pid!);
    let max = start;
    for (const end = Date.now() + 3000; Date.now() < end; await Bun.sleep(100)) max = Math.max(max, rss(pid!));
    expect(await sh.exited).toBe(0);
    // Without backpressure the CLI holds what the daemon sent while the reader sleeps (~100 MiB and more).
    expect(max - start).toBeLessThan(64);
    expect(readFileSync(out, "utf8")).toBe(`${lines} 0\n`);
    expect((await compose(dir, ["down", "-t", "0"])).code).toBe(0);
  }, 120_000);

  test("attached up prints post_start's and pre_stop's output behind '<container> ->'; detached up does not", async () => {
    const dir = project("hooked", {
      "compose.yaml": `services:
  h:
    image: busybox
    command: sh -c 'sleep 2; echo main-out'
    post_start:
      - command: sh -c 'echo hook-out; echo hook-err >&2; echo ran > /ran'
  lo:
    image: busybox
    command: sleep 1000
    stop_signal: SIGKILL
    pre_stop:
      - command: echo bye-from-long
`,
    });
    const r = await compose(dir, ["up", "--no-color", "--abort-on-container-exit"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^h-1 -> +\| hook-out$/m);
    expect(r.stdout).toMatch(/^h-1 -> +\| hook-err$/m);
    expect(r.stdout).toMatch(/^lo-1 -> +\| bye-from-long$/m);
    // A hook's name widens the prefixes printed after it, as compose's do.
    expect(r.stdout).toMatch(/^h-1 {5}\| main-out$/m);
    // compose (2.39 on) reports the exits of the containers its abort stops too, and their stops on stderr beside its notice.
    expect(r.stdout).toContain("h-1 exited with code 0");
    expect(r.stdout).toContain("lo-1 exited with code 137");
    expect(r.stderr).toContain("Aborting on container exit...");
    expect(r.stderr).toMatch(/^Aborting on container exit\.\.\.\n(.*\n)* Container hooked-lo-1  Stopping\n(.*\n)* Container hooked-lo-1  Stopped\n/m);
    expect((await compose(dir, ["down", "-t", "0"])).code).toBe(0);
    const d = await compose(dir, ["up", "-d"]);
    expect(d.code).toBe(0);
    expect(d.stdout + d.stderr).not.toContain("hook-out");
    expect((await daemon.d.cli(["exec", "hooked-h-1", "cat", "/ran"])).stdout).toBe("ran\n");
    expect((await compose(dir, ["down", "-t", "0"])).code).toBe(0);
  }, 120_000);

  test("--scale and deploy.replicas, -p and --remove-orphans", async () => {
    const dir = project("scaled", { "compose.yaml": "services:\n  w: {image: busybox, command: sleep 1000, deploy: {replicas: 2}}\n  gone: {image: busybox, command: sleep 1000}\n" });
    expect((await compose(dir, ["-p", "sc", "up", "-d"])).code).toBe(0);
    expect((await compose(dir, ["-p", "sc", "ps", "--format", "{{.Name}}"])).stdout.split("\n").filter(Boolean).sort()).toEqual(["sc-gone-1", "sc-w-1", "sc-w-2"]);
    expect((await compose(dir, ["-p", "sc", "up", "-d", "--scale", "w=1", "-t", "1"])).code).toBe(0);
    expect((await compose(dir, ["-p", "sc", "ps", "-q"])).stdout.trim().split("\n")).toHaveLength(2);
    writeFileSync(join(dir, "compose.yaml"), "services:\n  w: {image: busybox, command: sleep 1000}\n");
    const orphan = await compose(dir, ["-p", "sc", "up", "-d", "--remove-orphans", "-t", "1"]);
    expect(orphan.stderr).toContain("Container sc-gone-1  Removed");
    expect((await compose(dir, ["-p", "sc", "ps", "--format", "{{.Name}}"])).stdout.trim()).toBe("sc-w-1");
    // Without the files, -p still names the project for down.
    const elsewhere = project("empty", { ".keep": "" });
    expect((await compose(elsewhere, ["-p", "sc", "down", "-t", "1"])).code).toBe(0);
    expect(await containerIds("sc")).toEqual([]);
    expect(await names("network", "sc_")).toEqual([]);
  }, 120_000);
});

describe.if(ok)("bad input leaves the project as it was (a dependency that ran and failed leaves it to be looked at, as compose does)", () => {
  async function expectNothingLeft(project: string) {
    expect(await containerIds(project)).toEqual([]);
    expect(await names("network", `${project}_`)).toEqual([]);
    expect(await names("volume", `${project}_`)).toEqual([]);
  }

  test("a missing external network or volume", async () => {
    const net = project("extnet", { "compose.yaml": "services:\n  a: {image: busybox, volumes: [v:/v], networks: [default, outside]}\nvolumes: {v: {}}\nnetworks: {outside: {external: true}}\n" });
    const r = await compose(net, ["up", "-d"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("network outside declared as external, but could not be found");
    await expectNothingLeft("extnet");
    const vol = project("extvol", { "compose.yaml": "services:\n  a: {image: busybox, volumes: [v:/v, w:/w]}\nvolumes: {v: {}, w: {external: true, name: nowhere}}\n" });
    const s = await compose(vol, ["up", "-d"]);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('external volume "nowhere" not found');
    await expectNothingLeft("extvol");
  });

  test("a port conflict between services", async () => {
    const dir = project("clash", { "compose.yaml": "services:\n  a: {image: busybox, command: sleep 1000, ports: ['18282:80'], volumes: [v:/v]}\n  b: {image: busybox, command: sleep 1000, ports: ['18282:80'], depends_on: [a]}\nvolumes: {v: {}}\n" });
    const r = await compose(dir, ["up", "-d"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("port is already allocated");
    await expectNothingLeft("clash");
  });

  test("a failing build", async () => {
    const dir = project("badbuild", { "compose.yaml": "services:\n  web: {build: ., volumes: [v:/v]}\nvolumes: {v: {}}\n", Dockerfile: "FROM busybox\nRUN exit 3\n" });
    const r = await compose(dir, ["up", "-d"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed to build service "web": .*returned a non-zero code: 3/);
    await expectNothingLeft("badbuild");
  });

  test("a failed dependency: the dependant is not started, and the project stays as compose leaves it, to be looked at", async () => {
    const dir = project("depfail", { "compose.yaml": "services:\n  job: {image: busybox, command: sh -c 'echo why; false'}\n  app: {image: busybox, command: sleep 1000, depends_on: {job: {condition: service_completed_successfully}}}\n" });
    const r = await compose(dir, ["up", "-d"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(` Container depfail-job-1  Error service "job" didn't complete successfully: exit 1\n`);
    expect(r.stderr).toEndWith(`service "job" didn't complete successfully: exit 1\n`);
    // docker compose removes nothing here: the failed job's output is still there to read.
    expect((await compose(dir, ["logs", "--no-log-prefix", "job"])).stdout).toBe("why\n");
    const states = (await compose(dir, ["ps", "-a", "--format", "{{.Service}} {{.State}}"])).stdout.trim().split("\n").sort();
    expect(states).toEqual(["app created", "job exited"]);
    expect((await compose(dir, ["down"])).code).toBe(0);
    await expectNothingLeft("depfail");
  });

  test("a dependency that turns unhealthy: compose's Error line and message, its containers kept", async () => {
    const dir = project("depsick", {
      "compose.yaml": "services:\n  db: {image: busybox, command: sleep 1000, stop_signal: SIGKILL, healthcheck: {test: [CMD, 'false'], interval: 1s, retries: 1}}\n  app: {image: busybox, command: sleep 1000, depends_on: {db: {condition: service_healthy}}}\n  plain: {image: busybox, command: sleep 1000, stop_signal: SIGKILL}\n  needs: {image: busybox, command: sleep 1000, depends_on: {plain: {condition: service_healthy}}}\n",
    });
    const r = await compose(dir, ["up", "-d", "db", "app"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(" Container depsick-db-1  Error\n");
    expect(r.stderr).toEndWith("dependency failed to start: container depsick-db-1 is unhealthy\n");
    expect((await compose(dir, ["ps", "-a", "--format", "{{.Service}} {{.State}}"])).stdout.trim().split("\n").sort()).toEqual(["app created", "db running"]);
    // No healthcheck to wait on is a dependency failure too, in compose's words.
    const none = await compose(dir, ["up", "-d", "plain", "needs"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toEndWith("dependency failed to start: container depsick-plain-1 has no healthcheck configured\n");
    expect((await compose(dir, ["down", "-t", "0"])).code).toBe(0);
    await expectNothingLeft("depsick");
  });

  test("a secret from an unset variable: compose's error, and what the up made goes", async () => {
    const dir = project("envsecret", { "compose.yaml": "services:\n  a: {image: busybox, command: sleep 1000, volumes: [v:/v], secrets: [token]}\nvolumes: {v: {}}\nsecrets:\n  token: {environment: TOKEN_UNSET_HERE}\n" });
    const r = await compose(dir, ["up", "-d"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('environment variable "TOKEN_UNSET_HERE" required by secret "envsecret_token" is not set');
    await expectNothingLeft("envsecret");
    // Set, even to nothing, it is the secret's content.
    expect((await compose(dir, ["up", "-d"], { TOKEN_UNSET_HERE: "" })).code).toBe(0);
    expect((await daemon.d.cli(["exec", "envsecret-a-1", "wc", "-c", "/run/secrets/token"])).stdout).toMatch(/^0 /);
    expect((await compose(dir, ["down", "-v", "-t", "0"], { TOKEN_UNSET_HERE: "" })).code).toBe(0);
  });

  test("files compose refuses: nothing reaches the daemon", async () => {
    // Each message whole, as compose words it: the file and line of a syntax error, the key path of a variable.
    const cases: [string, (file: string) => string][] = [
      ["services:\n  a: {image: busybox, volumes: [v:/v]}\n  b: {image: [busybox\nvolumes: {v: {}}\n", (f) => `parsing ${f}: yaml: line 3: Unexpected token`],
      ["services:\n  a: {image: busybox, depends_on: [nope]}\n", () => 'service "a" depends on undefined service "nope": invalid compose project'],
      ["services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [a]}\n", () => "dependency cycle detected: a -> b -> a"],
      ["services:\n  a: {image: 'busybox:${TAG:?TAG is required}', volumes: [v:/v]}\nvolumes: {v: {}}\n", () => "error while interpolating services.a.image: required variable TAG is missing a value: TAG is required"],
      ["services:\n  a: {image: busybox, ports: 80}\n", (f) => `validating ${f}: services.a.ports must be a list`],
      ["services:\n  a:\n    image: busybox\n    volumes: [v:/v]\n    image: other\nvolumes: {v: {}}\n", (f) => `parsing ${f}: yaml: unmarshal errors:\n  line 5: mapping key "image" already defined at line 3`],
    ];
    for (const [i, [yaml, message]] of cases.entries()) {
      const dir = project(`refused${i}`, { "compose.yaml": yaml });
      const r = await compose(dir, ["up", "-d"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`${message(join(dir, "compose.yaml"))}\n`);
      await expectNothingLeft(`refused${i}`);
    }
  });
});
