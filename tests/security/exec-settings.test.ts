// An exec runs with the container's process settings, as runc gives them to
// `docker exec`: its seccomp filter, no_new_privs, capabilities, extra groups
// (--group-add, with or without --user), resource limits (--ulimit) and OOM
// score adjustment, not those of the daemon that started it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const report = "cat /proc/self/oom_score_adj; grep -E '^(Groups|NoNewPrivs|Seccomp|CapEff|CapBnd):' /proc/self/status; grep 'open files' /proc/self/limits";

describe.if(requireDaemon())("exec takes the container's process settings", () => {
  let d: TestDaemon;
  let id: string;
  beforeAll(async () => {
    d = await startDaemon();
    expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest"])).code).toBe(0);
    const run = await d.cli(["run", "-d", "--oom-score-adj", "500", "--ulimit", "nofile=100:200", "--group-add", "staff", "--group-add", "4242",
      "--security-opt", "no-new-privileges", "--cap-drop", "chown", "busybox", "sleep", "600"]);
    expect(run.code).toBe(0);
    id = run.stdout.trim();
  });
  afterAll(async () => {
    await d?.stop();
  });

  /** The settings lines the report prints, without the PID-dependent parts. */
  const settings = (out: string) => out.trim().split("\n").map((l) => l.replace(/\s+/g, " ").trim());

  test("an exec's settings equal the container's first process's", async () => {
    const init = await d.cli(["exec", id, "sh", "-c", report.replaceAll("/proc/self/", "/proc/1/")]);
    const exec = await d.cli(["exec", id, "sh", "-c", report]);
    expect(init.code).toBe(0);
    expect(exec.code).toBe(0);
    const want = settings(init.stdout);
    // What the container asked for, read from its PID 1: so the comparison below compares something.
    expect(want).toEqual([
      "500",
      "Groups: 0 50 4242",
      expect.stringMatching(/^CapEff: [0-9a-f]+$/),
      expect.stringMatching(/^CapBnd: [0-9a-f]+$/),
      "NoNewPrivs: 1",
      "Seccomp: 2",
      "Max open files 100 200 files",
    ]);
    expect(settings(exec.stdout)).toEqual(want);
    // CAP_CHOWN (bit 0) dropped in both.
    expect(BigInt(`0x${want[2]!.split(" ")[1]}`) & 1n).toBe(0n);
  });

  test("an exec with --user keeps the container's extra groups", async () => {
    const r = await d.cli(["exec", "--user", "nobody", id, "id", "-G"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split(" ").sort()).toEqual(["4242", "50", "65534"]);
  });
});
