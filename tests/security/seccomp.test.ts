// Seccomp in real containers: Docker's default profile is installed in every
// container and exec (Seccomp: 2) and refuses what Docker's refuses, while an
// everyday workload runs; unconfined and --privileged lift it; a JSON profile
// from a file replaces it. A small static program makes the calls and prints
// the errno each gave (0: it succeeded).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const probeSource = `
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <unistd.h>
#include <linux/perf_event.h>
static void report(const char *name, long r) { printf("%s=%d\\n", name, r < 0 ? errno : 0); }
int main(void) {
  report("add_key", syscall(SYS_add_key, "user", "berth-probe", "x", 1, -2));
  report("keyctl", syscall(SYS_keyctl, 0, -3, 0));
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.type = PERF_TYPE_SOFTWARE; attr.size = sizeof attr; attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.disabled = 1; attr.exclude_kernel = 1; attr.exclude_hv = 1;
  report("perf_event_open", syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  report("personality", personality(READ_IMPLIES_EXEC));
  report("vsock", socket(40, SOCK_STREAM, 0));
  report("clone3", syscall(SYS_clone3, NULL, 0));
  report("mkdir", mkdir("/tmp/probe-dir", 0755));
  report("mount", mount("probe", "/tmp", "tmpfs", 0, NULL)); /* before unshare, which would leave it no capability here */
  report("unshare_user", unshare(CLONE_NEWUSER));
  return 0;
}
`;

/** The probe's report as {call: errno}. */
function parse(out: string): Record<string, number> {
  return Object.fromEntries(out.trim().split("\n").filter((l) => l.includes("=")).map((l) => [l.split("=")[0], Number(l.split("=")[1])]));
}

describe.if(requireDaemon())("seccomp", () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startDaemon();
    const rootfs = join(d.dir, "busybox-rootfs");
    busyboxRootfsTar(d.dir);
    writeFileSync(`${rootfs}/probe.c`, probeSource);
    const cc = Bun.spawnSync(["cc", "-static", "-O2", "-o", `${rootfs}/probe`, `${rootfs}/probe.c`]);
    rmSync(`${rootfs}/probe.c`);
    if (cc.exitCode !== 0) throw new Error(`cannot build the probe: ${cc.stderr.toString()}`);
    symlinkSync("busybox", `${rootfs}/bin/unshare`);
    Bun.spawnSync(["tar", "-C", rootfs, "-cf", join(d.dir, "probe.tar"), "."]);
    expect((await d.cli(["import", join(d.dir, "probe.tar"), "probe:latest"])).code).toBe(0);
  });
  afterAll(async () => {
    await d?.stop();
  });

  const probe = async (flags: string[] = []) => {
    const r = await d.cli(["run", "--rm", ...flags, "probe", "/probe"]);
    expect(r.stderr).toBe("");
    return parse(r.stdout);
  };
  const seccompMode = async (flags: string[] = []) => {
    const r = await d.cli(["run", "--rm", ...flags, "probe", "grep", "^Seccomp:", "/proc/self/status"]);
    return r.stdout.trim();
  };

  test("a default container is filtered: Seccomp 2, and Docker's refusals are EPERM (clone3 ENOSYS)", async () => {
    expect(await seccompMode()).toBe("Seccomp:\t2");
    expect(await probe()).toEqual({ add_key: 1, keyctl: 1, perf_event_open: 1, personality: 1, vsock: 1, clone3: 38, mkdir: 0, unshare_user: 1, mount: 1 });
    const u = await d.cli(["run", "--rm", "probe", "unshare", "-U", "true"]);
    expect(u.code).not.toBe(0);
    expect(u.stderr).toContain("Operation not permitted");
  });

  test("an everyday workload runs under the filter, as root, another user, with --init and no-new-privileges", async () => {
    const script = "ls / >/dev/null && ps >/dev/null && mkdir -p /tmp/a/b && echo hi > /tmp/a/b/f && cat /tmp/a/b/f && id -u && sleep 0.01 && echo done";
    const root = await d.cli(["run", "--rm", "probe", "sh", "-c", script]);
    expect([root.code, root.stdout]).toEqual([0, "hi\n0\ndone\n"]);
    const nobody = await d.cli(["run", "--rm", "--user", "nobody", "probe", "sh", "-c", "id -u; grep ^Seccomp: /proc/self/status"]);
    expect(nobody.stdout).toBe("65534\nSeccomp:\t2\n");
    expect(await seccompMode(["--init"])).toBe("Seccomp:\t2");
    const nnp = await d.cli(["run", "--rm", "--security-opt", "no-new-privileges", "probe", "grep", "-E", "^(Seccomp|NoNewPrivs):", "/proc/self/status"]);
    expect(nnp.stdout).toBe("NoNewPrivs:\t1\nSeccomp:\t2\n");
  });

  test("an exec gets the container's filter", async () => {
    const run = await d.cli(["run", "-d", "probe", "sleep", "60"]);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    try {
      const ex = await d.cli(["exec", id, "grep", "^Seccomp:", "/proc/self/status"]);
      expect(ex.stdout.trim()).toBe("Seccomp:\t2");
      expect(parse((await d.cli(["exec", id, "/probe"])).stdout).unshare_user).toBe(1);
    } finally {
      await d.cli(["rm", "-f", id]);
    }
  });

  test("CAP_SYS_ADMIN brings back what the profile grants with it", async () => {
    const r = await probe(["--cap-add", "SYS_ADMIN"]);
    expect(r.unshare_user).toBe(0);
    expect(r.mount).toBe(0);
    expect(r.clone3).not.toBe(38);
    expect(r.add_key).toBe(1); // not granted by any capability
  });

  test("seccomp=unconfined and --privileged run without a filter", async () => {
    expect(await seccompMode(["--security-opt", "seccomp=unconfined"])).toBe("Seccomp:\t0");
    expect(await seccompMode(["--privileged"])).toBe("Seccomp:\t0");
    const r = await probe(["--security-opt", "seccomp=unconfined"]);
    expect(r.unshare_user).toBe(0);
    expect(r.personality).toBe(0);
    expect(r.clone3).not.toBe(38);
    for (const call of ["add_key", "keyctl", "perf_event_open", "vsock"]) expect([call, r[call]]).not.toEqual([call, 1]);
  });

  test("a JSON profile from a file replaces the default; inspect shows what the client sent", async () => {
    const file = join(d.dir, "no-mkdir.json");
    const profile = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13 }] };
    writeFileSync(file, JSON.stringify(profile, null, 2));
    const r = await probe(["--security-opt", `seccomp=${file}`]);
    expect(r.mkdir).toBe(13);
    expect(r.unshare_user).toBe(0); // the default profile is not applied on top
    const mk = await d.cli(["run", "--rm", "--security-opt", `seccomp=${file}`, "probe", "mkdir", "/tmp/x"]);
    expect(mk.code).not.toBe(0);
    expect(mk.stderr).toContain("Permission denied");
    const created = await d.cli(["create", "--security-opt", `seccomp=${file}`, "probe", "true"]);
    const id = created.stdout.trim();
    const opts = JSON.parse((await d.cli(["inspect", "--format", "{{json .HostConfig.SecurityOpt}}", id])).stdout);
    expect(opts).toEqual([`seccomp=${JSON.stringify(profile)}`]);
    await d.cli(["rm", id]);
  });

  test("bad profiles are refused with docker's words and leave no container", async () => {
    const missing = await d.cli(["create", "--security-opt", "seccomp=/nonexistent/p.json", "probe", "true"]);
    expect(missing.stderr).toContain("opening seccomp profile (/nonexistent/p.json) failed: open /nonexistent/p.json: no such file or directory");
    const notJson = join(d.dir, "not.json");
    writeFileSync(notJson, "{ nope");
    expect((await d.cli(["create", "--security-opt", `seccomp=${notJson}`, "probe", "true"])).stderr).toContain(`compacting json for seccomp profile (${notJson}) failed`);
    const badAction = join(d.dir, "bad-action.json");
    writeFileSync(badAction, JSON.stringify({ defaultAction: "SCMP_ACT_MAYBE", syscalls: [] }));
    const r = await d.cli(["create", "--security-opt", `seccomp=${badAction}`, "probe", "true"]);
    expect(r.stderr).toContain("string SCMP_ACT_MAYBE is not a valid action for seccomp");
    expect(r.code).not.toBe(0);
    // Through the API a value that is no JSON profile is a 400 as dockerd decodes it.
    const api = await fetch("http://localhost/containers/create", {
      unix: d.socket, method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ Image: "probe", Cmd: ["true"], HostConfig: { SecurityOpt: ["seccomp=/etc/p.json"] } }),
    } as RequestInit);
    expect(api.status).toBe(400);
    expect(((await api.json()) as { message: string }).message).toContain("Decoding seccomp profile failed");
    expect((await d.cli(["ps", "-aq"])).stdout.trim()).toBe("");
  });

  test("info lists the builtin profile", async () => {
    const r = await d.cli(["info", "--format", "{{json .SecurityOptions}}"]);
    expect(JSON.parse(r.stdout)).toContain("name=seccomp,profile=builtin");
  });
});
