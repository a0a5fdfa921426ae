// Healthchecks in the engine: probes as exec sessions on a timer per running
// container, State.Health in inspect, ps's STATUS and health filter, the
// health_status events, the image's HEALTHCHECK and the run flags, timeouts,
// bad input, stop, and a daemon restart that resumes probing. Every wait is
// for a state, with a deadline; intervals are short so that the states come fast.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, busyboxDaemonForFile } from "../fixtures/daemon.ts";

const box = busyboxDaemonForFile();
const ok = box.ok;

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://localhost${path}`, { ...init, unix: box.d.socket } as RequestInit);
}

interface Health {
  Status: string;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

async function health(name: string): Promise<Health | undefined> {
  const r = await api(`/containers/${name}/json`);
  expect(r.status).toBe(200);
  return ((await r.json()) as { State: { Health?: Health } }).State.Health;
}

/** Polls the container's health until `pred` holds; fails with what it saw at the deadline. */
async function healthUntil(name: string, pred: (h: Health) => boolean, ms = 30_000): Promise<Health> {
  const deadline = Date.now() + ms;
  let last: Health | undefined;
  while (Date.now() < deadline) {
    last = await health(name);
    if (last && pred(last)) return last;
    await Bun.sleep(100);
  }
  throw new Error(`${name}: health never got there; last ${JSON.stringify(last)}`);
}

async function psNames(filter: string): Promise<string[]> {
  const r = await box.d.cli(["ps", "-a", "--filter", filter, "--format", "{{.Names}}"]);
  expect(r.code).toBe(0);
  return r.stdout.split("\n").filter(Boolean).sort();
}

async function actions(name: string, ...filters: string[]): Promise<string[]> {
  const until = String(Math.floor(Date.now() / 1000) + 1);
  const r = await box.d.cli(["events", "--since", "0", "--until", until, "--filter", `container=${name}`, ...filters.flatMap((f) => ["--filter", f]), "--format", "{{.Action}}"]);
  return r.stdout.split("\n").filter(Boolean);
}

/** `events` streaming from now on; `until` gives the actions seen up to and with `last` (30 s at most), then ends the stream. */
function followEvents(filters: string[]): { until(last: string): Promise<string[]> } {
  const p = Bun.spawn([...berthCmd, "-H", box.d.host, "events", ...filters, "--format", "{{.Action}}"], { stdout: "pipe", stderr: "ignore" });
  return {
    async until(last) {
      const seen: string[] = [];
      const timer = setTimeout(() => p.kill(9), 30_000);
      let buf = "";
      try {
        for await (const chunk of p.stdout) {
          buf += new TextDecoder().decode(chunk);
          const lines = buf.split("\n");
          buf = lines.pop()!;
          seen.push(...lines.filter(Boolean));
          if (seen.includes(last)) break;
        }
      } finally {
        clearTimeout(timer);
        p.kill(9);
      }
      return seen;
    },
  };
}

const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe.if(ok)("healthchecks", () => {
  test("a passing probe makes the container healthy; when it starts failing, unhealthy after its retries, with the events", async () => {
    const stream = followEvents(["--filter", "container=flip", "--filter", "event=health_status"]);
    const run = await box.d.cli(["run", "-d", "--name", "flip", "--health-cmd", "test -e /tmp/ok && echo fine", "--health-interval", "200ms", "--health-retries", "2", "busybox", "sh", "-c", "touch /tmp/ok; exec sleep 300"]);
    expect(run.code).toBe(0);
    const healthy = await healthUntil("flip", (h) => h.Status === "healthy");
    expect(healthy.FailingStreak).toBe(0);
    const first = healthy.Log.at(-1)!;
    expect(first).toEqual({ Start: expect.stringMatching(rfc3339), End: expect.stringMatching(rfc3339), ExitCode: 0, Output: "fine\n" });
    expect(Date.parse(first.End)).toBeGreaterThanOrEqual(Date.parse(first.Start));
    expect((await box.d.cli(["ps", "--filter", "name=flip", "--format", "{{.Status}}"])).stdout).toMatch(/^Up .* \(healthy\)\n$/);
    expect(await psNames("health=healthy")).toContain("flip");

    expect((await box.d.cli(["exec", "flip", "rm", "/tmp/ok"])).code).toBe(0);
    const unhealthy = await healthUntil("flip", (h) => h.Status === "unhealthy");
    expect(unhealthy.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(unhealthy.Log.at(-1)!.ExitCode).toBe(1);
    expect((await box.d.cli(["ps", "--filter", "name=flip", "--format", "{{.Status}}"])).stdout).toMatch(/^Up .* \(unhealthy\)\n$/);
    expect(await psNames("health=unhealthy")).toContain("flip");
    expect(await psNames("health=healthy")).not.toContain("flip");

    // Docker keeps the last five probes.
    const long = await healthUntil("flip", (h) => h.FailingStreak >= 6);
    expect(long.Log.length).toBe(5);
    expect(long.Log.every((r) => r.ExitCode === 1)).toBe(true);

    const all = await actions("flip");
    expect(all.filter((a) => a.startsWith("health_status"))).toEqual(["health_status: healthy", "health_status: unhealthy"]);
    // The probes are exec sessions, with the exec events dockerd raises for them.
    expect(all).toContain("exec_create: /bin/sh -c test -e /tmp/ok && echo fine");
    expect(all).toContain("exec_die");
    expect(await actions("flip", "event=health_status")).toEqual(["health_status: healthy", "health_status: unhealthy"]);
    // The events stream showed both as they happened.
    expect(await stream.until("health_status: unhealthy")).toEqual(["health_status: healthy", "health_status: unhealthy"]);
  });

  test("a container whose first probe has not run yet is starting: ps says so and filters by it", async () => {
    expect((await box.d.cli(["run", "-d", "--name", "slow", "--health-cmd", "true", "--health-interval", "1h", "busybox", "sleep", "300"])).code).toBe(0);
    expect(await health("slow")).toEqual({ Status: "starting", FailingStreak: 0, Log: [] });
    expect((await box.d.cli(["ps", "--filter", "name=slow", "--format", "{{.Status}}"])).stdout).toMatch(/^Up .* \(health: starting\)\n$/);
    expect(await psNames("health=starting")).toEqual(["slow"]);
    expect((await box.d.cli(["run", "-d", "--name", "plain", "busybox", "sleep", "300"])).code).toBe(0);
    expect(await health("plain")).toBeUndefined();
    expect(await psNames("health=none")).toContain("plain");
    expect(await psNames("health=none")).not.toContain("slow");
  });

  test("a probe past its timeout is killed and counts as a failure with dockerd's message", async () => {
    const run = await box.d.cli(["run", "-d", "--name", "stuck", "--health-cmd", "echo partial; sleep 7", "--health-timeout", "300ms", "--health-interval", "100ms", "--health-retries", "1", "busybox", "sleep", "300"]);
    expect(run.code).toBe(0);
    const h = await healthUntil("stuck", (x) => x.Log.length >= 3);
    expect(h.Status).toBe("unhealthy");
    for (const r of h.Log) {
      expect(r.ExitCode).toBe(-1);
      // What the probe wrote comes after the message, when it had written it by then (its start may be slow under load).
      expect(r.Output).toMatch(/^Health check exceeded timeout \(300ms\)(: partial\n)?$/);
      // Not waited out: the probe is killed at its timeout.
      expect(Date.parse(r.End) - Date.parse(r.Start)).toBeLessThan(6000);
    }
    // Killed probes do not pile up: at most the one in flight is alive.
    const ps = await box.d.cli(["exec", "stuck", "ps", "-o", "stat,args"]);
    const alive = ps.stdout.split("\n").filter((l) => /sleep 7/.test(l) && !/^\s*Z/.test(l));
    expect(alive.length).toBeLessThanOrEqual(1);
  });

  test("output is kept up to 4096 bytes; a CMD probe runs without a shell", async () => {
    const body = {
      Image: "busybox", Cmd: ["sleep", "300"],
      Healthcheck: { Test: ["CMD", "sh", "-c", "head -c 5000 /dev/zero | tr '\\0' x"], Interval: 200e6, Retries: 1 },
    };
    const r = await api("/containers/create?name=chatty", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    expect(r.status).toBe(201);
    expect((await api("/containers/chatty/start", { method: "POST" })).status).toBe(204);
    const h = await healthUntil("chatty", (x) => x.Status === "healthy");
    expect(h.Log[0]!.Output).toBe(`${"x".repeat(4096)}...`);
    expect((await actions("chatty")).filter((a) => a.startsWith("exec_create"))[0]).toBe("exec_create: sh -c head -c 5000 /dev/zero | tr '\\0' x");
  });

  test("the image's HEALTHCHECK applies; flags override its fields; --no-healthcheck turns it off", async () => {
    const ctx = join(box.d.dir, "hc-image");
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, "Dockerfile"), 'FROM busybox\nHEALTHCHECK --interval=200ms --retries=1 CMD ["echo", "from-image"]\n');
    const b = await box.d.cli(["build", "-q", "-t", "hc:1", ctx], { timeoutMs: 60_000 });
    expect(b.code).toBe(0);

    expect((await box.d.cli(["run", "-d", "--name", "img", "hc:1", "sleep", "300"])).code).toBe(0);
    expect((await healthUntil("img", (x) => x.Status === "healthy")).Log[0]!.Output).toBe("from-image\n");

    // Only the command is given: the interval and retries still come from the image.
    expect((await box.d.cli(["run", "-d", "--name", "over", "--health-cmd", "echo from-flag", "hc:1", "sleep", "300"])).code).toBe(0);
    expect((await healthUntil("over", (x) => x.Status === "healthy")).Log[0]!.Output).toBe("from-flag\n");

    expect((await box.d.cli(["run", "-d", "--name", "off", "--no-healthcheck", "hc:1", "sleep", "300"])).code).toBe(0);
    expect((await box.d.cli(["inspect", "-f", "{{json .Config.Healthcheck.Test}}", "off"])).stdout.trim()).toBe('["NONE"]');
    expect(await health("off")).toBeUndefined();
    expect(await psNames("health=none")).toContain("off");
    expect((await box.d.cli(["ps", "--filter", "name=off", "--format", "{{.Status}}"])).stdout).not.toContain("health");
  });

  test("the docker CLI's --health-* flags, ps and inspect", async () => {
    const docker = "/usr/local/bin/docker";
    if (!existsSync(docker)) {
      if (process.env.CI === "true") throw new Error("the docker CLI is not installed");
      console.warn("skipping: the docker CLI is not installed");
      return;
    }
    const env = { ...process.env, DOCKER_HOST: box.d.host, DOCKER_CONFIG: join(box.d.dir, "docker-config") };
    const dk = (args: string[]) => Bun.spawnSync([docker, ...args], { env, stdin: "ignore" });
    const run = dk(["run", "-d", "--name", "viadocker", "--health-cmd", "echo via-docker", "--health-interval", "200ms", "--health-start-period", "1m", "--health-start-interval", "100ms", "busybox", "sleep", "300"]);
    expect(run.stderr.toString()).toBe("");
    const h = await healthUntil("viadocker", (x) => x.Status === "healthy");
    expect(h.Log[0]!.Output).toBe("via-docker\n");
    const cfg = JSON.parse(dk(["inspect", "-f", "{{json .Config.Healthcheck}}", "viadocker"]).stdout.toString());
    expect(cfg).toEqual({ Test: ["CMD-SHELL", "echo via-docker"], Interval: 200e6, StartPeriod: 60e9, StartInterval: 100e6 });
    expect(dk(["inspect", "-f", "{{.State.Health.Status}}", "viadocker"]).stdout.toString()).toBe("healthy\n");
    expect(dk(["ps", "--filter", "health=healthy", "--filter", "name=viadocker", "--format", "{{.Status}}"]).stdout.toString()).toMatch(/^Up .* \(healthy\)\n$/);
  });

  test("stopping ends the probes and reads unhealthy, as in dockerd; a new start begins again at starting", async () => {
    expect((await box.d.cli(["run", "-d", "--name", "cycle", "--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep", "300"])).code).toBe(0);
    await healthUntil("cycle", (x) => x.Status === "healthy");
    expect((await box.d.cli(["stop", "-t", "0", "cycle"])).code).toBe(0);
    const stopped = (await health("cycle"))!;
    expect(stopped.Status).toBe("unhealthy");
    await Bun.sleep(500);
    expect((await health("cycle"))!.Log.length).toBe(stopped.Log.length);
    expect((await box.d.cli(["ps", "-a", "--filter", "name=cycle", "--format", "{{.Status}}"])).stdout).toMatch(/^Exited \(137\) /);
    expect((await box.d.cli(["start", "cycle"])).code).toBe(0);
    const again = await healthUntil("cycle", (x) => x.Status === "healthy" && x.Log.length > stopped.Log.length);
    expect(again.FailingStreak).toBe(0);
  });

  test("bad input gets dockerd's and the docker CLI's messages", async () => {
    const create = (Healthcheck: unknown) =>
      api("/containers/create", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ Image: "busybox", Cmd: ["true"], Healthcheck }) });
    for (const [hc, msg] of [
      [{ Test: ["CMD", "true"], Interval: 500 }, "Interval in Healthcheck cannot be less than 1ms"],
      [{ Test: ["CMD", "true"], Timeout: -1 }, "Timeout in Healthcheck cannot be less than 1ms"],
      [{ Test: ["CMD", "true"], Retries: -2 }, "Retries in Healthcheck cannot be negative"],
      [{ Test: ["CMD", "true"], StartPeriod: 10 }, "StartPeriod in Healthcheck cannot be less than 1ms"],
      [{ Test: ["CMD", "true"], StartInterval: 999_999 }, "StartInterval in Healthcheck cannot be less than 1ms"],
      [{ Test: ["CMD", "true"], Interval: "1s" }, "json: cannot unmarshal string into Go struct field Config.Healthcheck.Interval of type time.Duration"],
    ] as const) {
      const r = await create(hc);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { message: string }).message).toBe(msg);
    }
    const conflict = await box.d.cli(["create", "--no-healthcheck", "--health-cmd", "true", "busybox"]);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain("--no-healthcheck conflicts with --health-* options");
    const badDuration = await box.d.cli(["create", "--health-interval", "often", "busybox"]);
    expect(badDuration.code).not.toBe(0);
    expect(badDuration.stderr).toContain('invalid argument "often" for "--health-interval" flag: time: invalid duration "often"');
    const filter = await box.d.cli(["ps", "--filter", "health=great"]);
    expect(filter.code).not.toBe(0);
    expect(filter.stderr).toContain("Unrecognised filter value for health: great");
  });

  // Last: it restarts the file's daemon.
  test("a daemon killed and restarted resumes probing the containers it adopts", async () => {
    expect((await box.d.cli(["run", "-d", "--name", "survivor", "--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep", "300"])).code).toBe(0);
    await healthUntil("survivor", (x) => x.Status === "healthy");
    box.d.kill();
    await box.d.restart();
    const back = Date.now();
    const h = await healthUntil("survivor", (x) => x.Log.some((r) => Date.parse(r.Start) >= back - 50));
    expect(h.Status).toBe("healthy");
  });
});
