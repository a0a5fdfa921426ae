// Kernel settings a container may ask for — --sysctl (namespaced keys only),
// --ulimit, --shm-size, --group-add, --oom-score-adj, --cgroupns — applied
// inside the container and refused with Docker's words when out of bounds;
// and 400s, not 500s, for an unknown signal and a malformed filter pattern.
import { beforeAll, describe, expect, test } from "bun:test";
import { readlinkSync } from "node:fs";
import { busyboxDaemonForFile, type TestDaemon } from "../fixtures/daemon.ts";

const daemon = busyboxDaemonForFile();

describe.if(daemon.ok)("container kernel settings", () => {
  let d: TestDaemon;
  beforeAll(() => {
    d = daemon.d;
  });

  const sh = (flags: string[], script: string) => d.cli(["run", "--rm", ...flags, "busybox", "sh", "-c", script]);
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`http://localhost${path}`, {
      unix: d.socket, method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
    } as RequestInit);
    const text = await r.text();
    return { status: r.status, message: text ? (JSON.parse(text) as { message?: string }).message : undefined };
  };

  test("--sysctl sets namespaced keys inside the container only", async () => {
    const host = (await Bun.file("/proc/sys/kernel/shmmni").text()).trim();
    const r = await sh(["--sysctl", "kernel.shmmni=1234", "--sysctl", "net.ipv4.ip_forward=1"], "cat /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_forward");
    expect([r.code, r.stdout]).toEqual([0, "1234\n1\n"]);
    expect((await Bun.file("/proc/sys/kernel/shmmni").text()).trim()).toBe(host);
    const cli = await d.cli(["create", "--sysctl", "kernel.hostname=x", "busybox", "true"]);
    expect(cli.stderr).toContain(`invalid argument "kernel.hostname=x" for "--sysctl" flag: sysctl 'kernel.hostname=x' is not allowed`);
    const viaApi = await api("POST", "/containers/create", { Image: "busybox", Cmd: ["true"], HostConfig: { Sysctls: { "vm.swappiness": "1" } } });
    expect(viaApi).toEqual({ status: 400, message: 'sysctl "vm.swappiness" is not in a separate kernel namespace' });
    const hostNet = await api("POST", "/containers/create", { Image: "busybox", Cmd: ["true"], HostConfig: { NetworkMode: "host", Sysctls: { "net.ipv4.ip_forward": "1" } } });
    expect(hostNet).toEqual({ status: 400, message: 'sysctl "net.ipv4.ip_forward" not allowed in host network namespace' });
  });

  test("--ulimit is applied and checked", async () => {
    const r = await sh(["--ulimit", "nofile=123:456", "--ulimit", "nproc=77"], "ulimit -n; ulimit -Hn; ulimit -u");
    expect([r.code, r.stdout]).toEqual([0, "123\n456\n77\n"]);
    expect((await d.cli(["create", "--ulimit", "bogus=1", "busybox", "true"])).stderr).toContain('invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus');
    expect((await d.cli(["create", "--ulimit", "nofile=10:5", "busybox", "true"])).stderr).toContain("ulimit soft limit must be less than or equal to hard limit: 10 > 5");
    const viaApi = await api("POST", "/containers/create", { Image: "busybox", Cmd: ["true"], HostConfig: { Ulimits: [{ Name: "as", Soft: 1, Hard: 1 }] } });
    expect(viaApi).toEqual({ status: 400, message: "invalid ulimit type: as" });
  });

  test("--shm-size sizes /dev/shm (64 MiB by default)", async () => {
    const dflt = await sh([], "busybox df -k /dev/shm | busybox tail -1");
    expect(dflt.stdout.trim().split(/\s+/)[1]).toBe("65536");
    const big = await sh(["--shm-size", "128m"], "busybox df -k /dev/shm | busybox tail -1");
    expect(big.stdout.trim().split(/\s+/)[1]).toBe("131072");
    expect(await api("POST", "/containers/create", { Image: "busybox", Cmd: ["true"], HostConfig: { ShmSize: -1 } })).toEqual({ status: 400, message: "SHM size can not be less than 0" });
  });

  test("--group-add joins more groups, by name or id", async () => {
    const r = await sh(["--group-add", "staff", "--group-add", "4242"], "id -G");
    expect(r.stdout.trim().split(" ").sort()).toEqual(["0", "4242", "50"]);
    const missing = await sh(["--group-add", "nosuchgroup"], "true");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("unable to find group nosuchgroup");
  });

  test("--oom-score-adj is the program's, and bounded", async () => {
    // (Lowering it takes CAP_SYS_RESOURCE, which the engine itself may lack: raising always works.)
    expect((await sh(["--oom-score-adj=500"], "cat /proc/self/oom_score_adj")).stdout).toBe("500\n");
    expect((await sh(["--oom-score-adj", "700"], "cat /proc/self/oom_score_adj")).stdout).toBe("700\n");
    expect(await api("POST", "/containers/create", { Image: "busybox", Cmd: ["true"], HostConfig: { OomScoreAdj: 1001 } })).toEqual({ status: 400, message: "Invalid value 1001, range for oom score adj is [-1000, 1000]" });
  });

  test("--cgroupns host shares the engine's cgroup namespace; private (the default) does not", async () => {
    const own = readlinkSync("/proc/self/ns/cgroup");
    expect((await sh(["--cgroupns", "host"], "busybox readlink /proc/self/ns/cgroup")).stdout.trim()).toBe(own);
    expect((await sh([], "busybox readlink /proc/self/ns/cgroup")).stdout.trim()).not.toBe(own);
    const created = await d.cli(["create", "--cgroupns", "host", "busybox", "true"]);
    expect((await d.cli(["inspect", "-f", "{{.HostConfig.CgroupnsMode}}", created.stdout.trim()])).stdout.trim()).toBe("host");
    await d.cli(["rm", created.stdout.trim()]);
    expect(await api("POST", "/containers/create", { Image: "busybox", Cmd: ["true"], HostConfig: { CgroupnsMode: "shared" } })).toEqual({ status: 400, message: "invalid cgroup namespace mode: shared" });
  });

  test("an unknown signal and a malformed name pattern are the client's errors", async () => {
    const run = await d.cli(["run", "-d", "busybox", "sleep", "60"]);
    const id = run.stdout.trim();
    try {
      expect(await api("POST", `/containers/${id}/kill?signal=SIGNOPE`, undefined)).toEqual({ status: 400, message: "Invalid signal: SIGNOPE" });
      expect(await api("POST", `/containers/${id}/kill?signal=99`, undefined)).toEqual({ status: 400, message: "Invalid signal: 99" });
      const bad = await fetch(`http://localhost/containers/json?filters=${encodeURIComponent(JSON.stringify({ name: ["["] }))}`, { unix: d.socket } as RequestInit);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toContain("error parsing regexp");
      expect((await d.cli(["inspect", "-f", "{{.State.Running}}", id])).stdout.trim()).toBe("true");
    } finally {
      await d.cli(["rm", "-f", id]);
    }
    expect((await d.cli(["ps", "-aq"])).stdout.trim()).toBe("");
  });
});
