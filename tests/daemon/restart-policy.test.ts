// Restart policies as dockerd runs them: between an exit and the restart the container is
// "restarting" (Running and Restarting, no process), operations that need the program are refused
// with dockerd's words, a stop, kill or removal calls the restart off, the back-off grows and is
// reset, and a daemon restarted in the wait still restarts the container.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";
import { nextRestartDelay } from "../../src/daemon/containers/restart-policy.ts";

const f = busyboxDaemonForFile();

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`http://localhost${path}`, {
    unix: f.d.socket, method, headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  } as RequestInit);
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

const state = async (id: string) => (await api("GET", `/containers/${id}/json`)).json as { State: Record<string, any>; RestartCount: number };

/** Polls until the container waits to restart with a delay of at least `minDelayMs` ahead (the back-off doubles from 100 ms). */
async function restartingWithDelay(id: string, minDelayMs: number): Promise<{ State: Record<string, any>; RestartCount: number }> {
  // The wait before restart n is 100·2^(n-1) ms: its count says how long the window is.
  const count = Math.ceil(Math.log2(minDelayMs / 100)) + 1;
  for (const end = Date.now() + 60_000; Date.now() < end; await Bun.sleep(20)) {
    const s = await state(id);
    if (s.State.Restarting && s.RestartCount >= count) return s;
  }
  throw new Error(`container ${id} did not reach a restart wait of ${minDelayMs} ms`);
}

test("the back-off doubles from 100 ms to a minute, and starts over after a run of 10 s", () => {
  const ran = (ms: number) => ({ StartedAt: "2026-01-01T00:00:00Z", FinishedAt: new Date(Date.parse("2026-01-01T00:00:00Z") + ms).toISOString() });
  expect(nextRestartDelay(undefined, ran(50))).toBe(100);
  expect(nextRestartDelay(100, ran(50))).toBe(200);
  expect(nextRestartDelay(40_000, ran(50))).toBe(60_000);
  expect(nextRestartDelay(60_000, ran(50))).toBe(60_000);
  expect(nextRestartDelay(6_400, ran(10_000))).toBe(100);
});

describe.if(f.ok)("restart policies", () => {
  test("waiting to restart: restarting in inspect and ps, and what needs the program is refused as dockerd refuses it", async () => {
    const run = await f.d.cli(["run", "-d", "--name", "bouncy", "--restart", "always", "busybox", "sh", "-c", "echo run; exit 3"]);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    const s = await restartingWithDelay(id, 3200);
    expect(s.State).toMatchObject({ Status: "restarting", Running: true, Restarting: true, Paused: false, Pid: 0, ExitCode: 3 });

    const ps = await f.d.cli(["ps", "--format", "{{.Names}} {{.State}} {{.Status}}"]);
    expect(ps.stdout).toMatch(/^bouncy restarting Restarting \(3\) (Less than a second|\d+ seconds?) ago$/m);
    expect((await f.d.cli(["ps", "-q", "--filter", "status=restarting"])).stdout.trim()).toBe(id.slice(0, 12));

    const refused = `Container ${id} is restarting, wait until the container is running`;
    const exec = await api("POST", `/containers/${id}/exec`, { Cmd: ["true"] });
    expect(exec).toEqual({ status: 409, json: { message: refused } });
    expect(await api("POST", `/containers/${id}/pause`)).toEqual({ status: 409, json: { message: refused } });
    expect(await api("GET", `/containers/${id}/top`)).toEqual({ status: 409, json: { message: refused } });
    const attach = await api("POST", `/containers/${id}/attach?stream=1&stdout=1`);
    expect(attach).toEqual({ status: 409, json: { message: `container ${id} is restarting, wait until the container is running` } });
    // It counts as running: a start is not needed (304), and removal needs -f.
    expect((await api("POST", `/containers/${id}/start`)).status).toBe(304);
    const rm = await f.d.cli(["rm", "bouncy"]);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain(`You cannot remove a restarting container ${id}. Stop the container before attempting removal or force remove`);
    // info counts it as stopped, as dockerd does.
    const info = (await api("GET", "/info")).json;
    expect(info.ContainersRunning).toBe(0);

    // Once the wait is over it runs again.
    const before = s.RestartCount;
    for (const end = Date.now() + 10_000; Date.now() < end && (await state(id)).RestartCount === before; ) await Bun.sleep(100);
    expect((await state(id)).RestartCount).toBe(before + 1);
    expect((await f.d.cli(["rm", "-f", "bouncy"])).code).toBe(0);
    expect((await api("GET", `/containers/${id}/json`)).status).toBe(404);
  }, 90_000);

  test("a stop or a kill in the wait calls the restart off; a start by hand counts from zero again", async () => {
    const ids: string[] = [];
    for (const name of ["stopped", "killed"]) {
      ids.push((await f.d.cli(["run", "-d", "--name", name, "--restart", "always", "busybox", "sh", "-c", "exit 3"])).stdout.trim());
    }
    const [stopped, killed] = ids as [string, string];
    await restartingWithDelay(stopped, 1600);
    expect((await api("POST", `/containers/${stopped}/stop`)).status).toBe(204);
    await restartingWithDelay(killed, 1600);
    expect((await api("POST", `/containers/${killed}/kill`)).status).toBe(204);
    const counts = [(await state(stopped)).RestartCount, (await state(killed)).RestartCount];
    // Longer than either wait could have been: neither restarted.
    await Bun.sleep(3500);
    for (const [i, id] of ids.entries()) {
      const s = await state(id);
      expect(s.State).toMatchObject({ Status: "exited", Running: false, Restarting: false, ExitCode: 3 });
      expect(s.RestartCount).toBe(counts[i]!);
    }
    expect(counts[0]).toBeGreaterThanOrEqual(5);

    // A start by hand: the count starts over, as in dockerd, and the policy applies again.
    expect((await api("POST", `/containers/${stopped}/start`)).status).toBe(204);
    const again = await restartingWithDelay(stopped, 100);
    expect(again.RestartCount).toBeLessThan(counts[0]!);
    expect((await f.d.cli(["rm", "-f", "stopped", "killed"])).code).toBe(0);
  }, 90_000);

  test("a daemon restarted while a container waits to restart still restarts it", async () => {
    const id = (await f.d.cli(["run", "-d", "--name", "patient", "--restart", "unless-stopped", "busybox", "sh", "-c", "echo run; exit 4"])).stdout.trim();
    const waiting = await restartingWithDelay(id, 800);
    f.d.kill();
    await f.d.restart();
    // The new daemon finds it waiting and restarts it; it goes on running by its policy.
    for (const end = Date.now() + 20_000; Date.now() < end && (await state(id)).RestartCount <= waiting.RestartCount; ) await Bun.sleep(100);
    expect((await state(id)).RestartCount).toBeGreaterThan(waiting.RestartCount);
    // A wait with count n follows n runs (the count goes up as the wait begins): one more has run.
    const runs = (await f.d.cli(["logs", "patient"])).stdout.split("\n").filter((l) => l === "run").length;
    expect(runs).toBeGreaterThan(waiting.RestartCount);
    expect((await f.d.cli(["rm", "-f", "patient"])).code).toBe(0);
  }, 90_000);

  test("at the daemon's start, as dockerd: always comes back even after a stop by hand, unless-stopped does not, spent on-failure and never-started ones stay", async () => {
    const run = async (name: string, policy: string, ...cmd: string[]) =>
      (await f.d.cli(["run", "-d", "--name", name, "--restart", policy, "busybox", ...cmd])).stdout.trim();
    await run("always-stopped", "always", "sleep", "1000");
    await run("unless-stopped-stopped", "unless-stopped", "sleep", "1000");
    await run("unless-stopped-running", "unless-stopped", "sleep", "1000");
    await run("spent", "on-failure:1", "sh", "-c", "exit 2");
    expect((await f.d.cli(["create", "--name", "never-started", "--restart", "always", "busybox", "sleep", "1000"])).code).toBe(0);
    expect((await f.d.cli(["stop", "-t", "0", "always-stopped", "unless-stopped-stopped"])).code).toBe(0);
    for (const end = Date.now() + 20_000; Date.now() < end; await Bun.sleep(100)) {
      const s = await state("spent");
      if (s.State.Status === "exited" && s.RestartCount === 1) break;
    }
    const statuses = async () => {
      const out = (await f.d.cli(["ps", "-a", "--format", "{{.Names}} {{.State}}"])).stdout.trim().split("\n").sort();
      return Object.fromEntries(out.map((l) => l.split(" ")));
    };
    expect(await statuses()).toEqual({
      "always-stopped": "exited", "unless-stopped-stopped": "exited", "unless-stopped-running": "running", spent: "exited", "never-started": "created",
    });

    f.d.kill();
    await f.d.restart();
    let after: Record<string, string> = {};
    for (const end = Date.now() + 20_000; Date.now() < end && after["always-stopped"] !== "running"; await Bun.sleep(100)) after = await statuses();
    expect(after).toEqual({
      "always-stopped": "running", "unless-stopped-stopped": "exited", "unless-stopped-running": "running", spent: "exited", "never-started": "created",
    });
    // Started as by hand: its count begins again.
    expect((await state("always-stopped")).RestartCount).toBe(0);
    expect((await f.d.cli(["rm", "-f", "always-stopped", "unless-stopped-stopped", "unless-stopped-running", "spent", "never-started"])).code).toBe(0);
  }, 90_000);

  test("a start that fails is not retried by the policy", async () => {
    // A bind whose source is gone fails the next start, of a container that ran before.
    const source = mkdtempSync(join(tmpdir(), "berth-test-bind-"));
    const id = (await f.d.cli(["run", "-d", "--name", "unlucky", "--mount", `type=bind,source=${source},target=/data`, "busybox", "true"])).stdout.trim();
    expect((await f.d.cli(["wait", id])).stdout.trim()).toBe("0");
    expect((await f.d.cli(["update", "--restart", "always", id])).code).toBe(0);
    rmSync(source, { recursive: true });
    const since = Date.now() / 1000;
    const start = await api("POST", `/containers/${id}/start`);
    expect(start.status).toBeGreaterThanOrEqual(400);
    await Bun.sleep(1500);
    const s = await state(id);
    expect(s.State).toMatchObject({ Status: "exited", Running: false, Restarting: false });
    expect(s.RestartCount).toBe(0);
    // One die, for the start that failed: no retries after it.
    const filters = encodeURIComponent(JSON.stringify({ container: [id], event: ["die"] }));
    const events = await fetch(`http://localhost/events?since=${since}&until=${Date.now() / 1000}&filters=${filters}`, { unix: f.d.socket } as RequestInit);
    expect((await events.text()).trim().split("\n").map((l) => JSON.parse(l).Action)).toEqual(["die"]);
    expect((await f.d.cli(["rm", "-f", id])).code).toBe(0);
  }, 30_000);
});
