// Crash consistency of a start: the daemon killed with -9 while 20 `run -d`
// are in flight. The restarted daemon finds every shim and process there is
// (records, exec-root, cgroups) and adopts or cleans each, so that every
// container's state matches its cgroup's processes and `start` never makes a
// second copy. Also: one daemon per data root, and a pidfile left by a killed
// daemon does not block the next.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, busyboxDaemonForFile } from "../fixtures/daemon.ts";

const daemon = busyboxDaemonForFile();

/** The daemon's cgroups in the pids hierarchy (v1) or the unified one (v2). */
function pidsDir(): string {
  const v2 = existsSync("/sys/fs/cgroup/cgroup.controllers");
  return v2 ? `/sys/fs/cgroup/${daemon.d.cgroupParent}` : `/sys/fs/cgroup/pids/${daemon.d.cgroupParent}`;
}

function processesIn(name: string): number[] {
  try {
    return readFileSync(join(pidsDir(), name, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return []; // no such cgroup
  }
}

/** Container cgroups (not a standby's, nor one an exiting shim set aside). */
const containerCgroups = () => (existsSync(pidsDir()) ? readdirSync(pidsDir()).filter((n) => /^[0-9a-f]{64}$/.test(n)) : []);

describe.if(daemon.ok)("crash consistency", () => {
  test("20 parallel run -d, the daemon killed with -9 mid-way: every state matches its cgroup, and start makes no second copy", async () => {
    const runs = Array.from({ length: 20 }, (_, i) => daemon.d.cli(["run", "-d", "--name", `c${i}`, "busybox", "sleep", "1000"], { timeoutMs: 30_000 }));
    // Mid-way: some containers run, others are being made or started.
    for (const end = Date.now() + 15_000; Date.now() < end && containerCgroups().length < 6; ) await Bun.sleep(5);
    daemon.d.kill();
    await Promise.all(runs);
    await daemon.d.restart();

    const rows = (await daemon.d.cli(["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.State}}"])).stdout.trim().split("\n").filter(Boolean).map((l) => l.split(" ") as [string, string]);
    expect(rows.length).toBeGreaterThan(0);
    const seen = (id: string, state: string) => `${id.slice(0, 12)} ${state} ${processesIn(id).length ? "with" : "without"} processes`;
    expect(rows.map(([id, state]) => seen(id, state))).toEqual(rows.map(([id, state]) => `${id.slice(0, 12)} ${state} ${state === "running" ? "with" : "without"} processes`));
    // No cgroup with processes belongs to no container.
    const known = new Set(rows.map(([id]) => id));
    expect(containerCgroups().filter((n) => !known.has(n) && processesIn(n).length)).toEqual([]);
    expect(rows.some(([, state]) => state === "running")).toBe(true);

    // Starting every container gives each one copy: PID 1 of the container, alone in its cgroup.
    const before = new Map(rows.filter(([, s]) => s === "running").map(([id]) => [id, processesIn(id)]));
    const starts = await Promise.all(rows.map(([id]) => daemon.d.cli(["start", id])));
    expect(starts.map((r) => r.code)).toEqual(rows.map(() => 0));
    for (const [id] of rows) expect(`${id.slice(0, 12)} ${processesIn(id).length}`).toBe(`${id.slice(0, 12)} 1`);
    for (const [id, pids] of before) expect(processesIn(id)).toEqual(pids);
  });

  test("a second daemon on the same data root is refused, with a clear error", async () => {
    const other = join(daemon.d.dir, "other");
    const p = Bun.spawnSync([...berthCmd, "daemon", "--bridge", "none", "--data-root", join(daemon.d.dir, "data"), "--exec-root", join(other, "exec"), "-H", `unix://${other}.sock`, "--cgroup-parent", `${daemon.d.cgroupParent}-other`], { stderr: "pipe", timeout: 30_000 });
    expect(p.exitCode).not.toBe(0);
    expect(p.stderr.toString()).toContain(`the data root ${join(daemon.d.dir, "data")} is in use by another berth daemon (pid ${daemon.d.pid})`);
    // The first daemon still serves its containers.
    expect((await daemon.d.cli(["ps", "-q"])).code).toBe(0);
  });

  test("a pidfile naming a process that is gone (killed, not yet reaped) does not block a start", async () => {
    // sh starts a short sleep and becomes a long one that never reaps it: the short one stays a zombie.
    const holder = Bun.spawn(["sh", "-c", "sleep 0.05 & echo $!; exec sleep 30"], { stdout: "pipe" });
    try {
      const reader = holder.stdout.getReader();
      const zombie = Number(new TextDecoder().decode((await reader.read()).value).trim());
      for (const end = Date.now() + 15_000; Date.now() < end && !/\) Z /.test(readFileSync(`/proc/${zombie}/stat`, "utf8")); ) await Bun.sleep(10);
      expect(readFileSync(`/proc/${zombie}/stat`, "utf8")).toMatch(/\) Z /);
      daemon.d.kill();
      await Bun.sleep(50);
      writeFileSync(join(daemon.d.dir, "exec", "berth.pid"), `${zombie}\n`);
      await daemon.d.restart();
      expect((await daemon.d.cli(["ps", "-q"])).code).toBe(0);
      expect(readFileSync(join(daemon.d.dir, "exec", "berth.pid"), "utf8").trim()).toBe(String(daemon.d.pid));
    } finally {
      holder.kill(9);
    }
  });
});
