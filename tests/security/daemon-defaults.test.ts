// The daemon's --seccomp-profile and --no-new-privileges (and their
// daemon.json keys) apply to containers and execs that name neither, a
// container's own --security-opt still wins, and `info` says which profile
// is in force in dockerd's words; a profile file that cannot be read or
// decoded stops the daemon at start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

/** Everything allowed but mkdir and mkdirat, which fail with EACCES (13): unlike anything the default profile does. */
const noMkdir = JSON.stringify({
  defaultAction: "SCMP_ACT_ALLOW",
  syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13 }],
});

const statusOf = (text: string, key: string) => new RegExp(`^${key}:\\s*(\\S+)`, "m").exec(text)?.[1];

describe.if(requireDaemon())("the daemon's security defaults", () => {
  const tmp = mkdtempSync("/tmp/berth-secdefaults-");
  const profilePath = join(tmp, "no-mkdir.json");
  writeFileSync(profilePath, noMkdir);
  let d: TestDaemon;

  beforeAll(async () => {
    d = await startDaemon({ args: ["--seccomp-profile", profilePath, "--no-new-privileges"] });
    expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest"])).code).toBe(0);
  });
  afterAll(async () => {
    await d?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const info = async (daemon: TestDaemon) => (await (await fetch("http://localhost/info", { unix: daemon.socket } as RequestInit)).json()) as { SecurityOptions: string[]; Warnings: string[] };

  test("info names the daemon's profile and no-new-privileges, with dockerd's warning", async () => {
    const i = await info(d);
    expect(i.SecurityOptions).toContain(`name=seccomp,profile=${profilePath}`);
    expect(i.SecurityOptions).toContain("name=no-new-privileges");
    expect(i.Warnings).toContain("WARNING: daemon is not using the default seccomp profile");
  });

  test("a container that names nothing gets the daemon's profile and no_new_privs, and so do its execs", async () => {
    const script = "mkdir /tmp/x 2>/dev/null && echo made || echo refused; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status";
    const r = await d.cli(["run", "--rm", "busybox", "sh", "-c", script]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("refused");
    expect([statusOf(r.stdout, "NoNewPrivs"), statusOf(r.stdout, "Seccomp")]).toEqual(["1", "2"]);
    const run = await d.cli(["run", "-d", "busybox", "sleep", "600"]);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    const e = await d.cli(["exec", id, "sh", "-c", script]);
    expect(e.stdout.split("\n")[0]).toBe("refused");
    expect([statusOf(e.stdout, "NoNewPrivs"), statusOf(e.stdout, "Seccomp")]).toEqual(["1", "2"]);
    await d.cli(["rm", "-f", id]);
  });

  test("a container's own options win over the daemon's", async () => {
    const script = "mkdir /tmp/x && echo made; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status";
    const builtin = await d.cli(["run", "--rm", "--security-opt", "seccomp=builtin", "--security-opt", "no-new-privileges=false", "busybox", "sh", "-c", script]);
    expect(builtin.stdout.split("\n")[0]).toBe("made");
    expect([statusOf(builtin.stdout, "NoNewPrivs"), statusOf(builtin.stdout, "Seccomp")]).toEqual(["0", "2"]);
    const unconfined = await d.cli(["run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "sh", "-c", script]);
    expect(unconfined.stdout.split("\n")[0]).toBe("made");
    expect([statusOf(unconfined.stdout, "NoNewPrivs"), statusOf(unconfined.stdout, "Seccomp")]).toEqual(["1", "0"]);
  });

  test("daemon.json's seccomp-profile: unconfined runs containers without a filter", async () => {
    const cfg = join(tmp, "daemon.json");
    writeFileSync(cfg, JSON.stringify({ "seccomp-profile": "unconfined", "no-new-privileges": false }));
    const u = await startDaemon({ args: ["--config-file", cfg] });
    try {
      const i = await info(u);
      expect(i.SecurityOptions).toContain("name=seccomp,profile=unconfined");
      expect(i.SecurityOptions).not.toContain("name=no-new-privileges");
      expect(i.Warnings).toContain("WARNING: daemon is not using the default seccomp profile");
      expect((await u.cli(["import", busyboxRootfsTar(u.dir), "busybox:latest"])).code).toBe(0);
      const r = await u.cli(["run", "--rm", "busybox", "grep", "-E", "^(NoNewPrivs|Seccomp):", "/proc/self/status"]);
      expect([statusOf(r.stdout, "NoNewPrivs"), statusOf(r.stdout, "Seccomp")]).toEqual(["0", "0"]);
      // The default daemon's info: the builtin profile and no warning about it.
      const i2 = await info(d);
      expect(i2.SecurityOptions.filter((o) => o.startsWith("name=seccomp"))).toEqual([`name=seccomp,profile=${profilePath}`]);
    } finally {
      await u.stop();
    }
  }, 60_000);

  test("a profile that cannot be read or decoded stops the daemon at start", () => {
    const bad = join(tmp, "bad.json");
    writeFileSync(bad, `{"defaultAction":"SCMP_ACT_SOMETIMES"}`);
    const start = (profile: string) => {
      const root = mkdtempSync(join(tmp, "root-"));
      const p = Bun.spawnSync([...berthCmd, "daemon", "--data-root", join(root, "data"), "--exec-root", join(root, "exec"), "-H", `unix://${root}/s.sock`,
        "--bridge", "none", "--iptables=false", "--cgroup-parent", `berth-secdefaults-${process.pid}`, "--seccomp-profile", profile], { timeout: 60_000 });
      return { code: p.exitCode, stderr: p.stderr.toString() };
    };
    const missing = start(join(tmp, "nosuch.json"));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`opening seccomp profile (${join(tmp, "nosuch.json")}) failed: open ${join(tmp, "nosuch.json")}: no such file or directory`);
    const invalid = start(bad);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain(`loading seccomp profile (${bad}) failed: string SCMP_ACT_SOMETIMES is not a valid action for seccomp`);
  }, 130_000);
});
