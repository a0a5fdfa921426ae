// A container's world: the program is PID 1 with its own hostname, network,
// processes and mounts, Docker's capabilities and masks, the user asked for,
// its exit code, and Docker's words when it cannot start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { Fixture, hostMountsUnder, readLog, skipUnlessRunnable } from "./helpers.ts";
import { StartError } from "../../src/runtime/index.ts";
import { readState } from "../../src/runtime/shim/state.ts";

const ok = skipUnlessRunnable();
let fx: Fixture;

beforeAll(() => {
  if (ok) fx = new Fixture();
});
afterAll(() => fx?.cleanup());

describe.skipIf(!ok)("container", () => {
  test("echo hi lands in the json-file log", async () => {
    const r = await fx.run(["echo", "hi"]);
    expect(r.state.exitCode).toBe(0);
    const log = readLog(r.spec.logPath);
    expect(log.records).toHaveLength(1);
    expect(log.records[0]!.log).toBe("hi\n");
    expect(log.records[0]!.stream).toBe("stdout");
    expect(log.records[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(r.spec.logPath).toEndWith(`${r.spec.id}-json.log`);
    expect(r.state.startedAt <= r.state.finishedAt!).toBe(true);
  });

  test("stderr is recorded as its own stream", async () => {
    const r = await fx.run(["sh", "-c", "echo out; echo err >&2"]);
    expect(r.stdout).toBe("out\n");
    expect(r.stderr).toBe("err\n");
  });

  test("the program is PID 1 and sees only the container's processes", async () => {
    const r = await fx.run(["sh", "-c", "echo $$; ps -o pid,comm"]);
    const [pid1, ...ps] = r.stdout.trim().split("\n");
    expect(pid1).toBe("1");
    const pids = ps.slice(1).map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(pids).toContain(1);
    expect(Math.max(...pids)).toBeLessThan(20);
    expect(ps.length).toBeLessThanOrEqual(4);
  });

  test("hostname, and network none has only lo", async () => {
    const r = await fx.run(["sh", "-c", "hostname; cat /proc/net/dev"], { hostname: "boxy" });
    const [host, ...dev] = r.stdout.trim().split("\n");
    expect(host).toBe("boxy");
    expect(dev.slice(2).map((l) => l.trim().split(":")[0])).toEqual(["lo"]);
  });

  test("host mounts are invisible; /proc, /sys, /dev are the container's", async () => {
    const r = await fx.run(["cat", "/proc/mounts"]);
    const points = r.stdout.trim().split("\n").map((l) => l.split(" ")[1]!);
    expect(points[0]).toBe("/");
    for (const p of ["/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"]) expect(points).toContain(p);
    for (const p of points) expect(p).not.toMatch(/^\/(work|tmp\/berth|boot|home\/)/);
    expect(r.stdout).toMatch(/^sysfs \/sys sysfs ro,/m);
    // Under /sys/fs/cgroup only the container's own cgroups, read-only: each cgroup mount's root is its namespace's.
    const cgroups = (await fx.run(["cat", "/proc/self/mountinfo"])).stdout.split("\n").filter((l) => / - cgroup2? /.test(l));
    expect(cgroups.length).toBeGreaterThan(0);
    for (const l of cgroups) {
      const [, , , root, point, options] = l.split(" ");
      expect(point!.startsWith("/sys/fs/cgroup")).toBe(true);
      expect(root).toBe("/");
      expect(options!.split(",")).toContain("ro");
    }
  });

  test("masked and read-only paths as Docker's defaults; writes to /proc/sys fail", async () => {
    const r = await fx.run(["sh", "-c", "echo 1 > /proc/sys/kernel/domainname && echo wrote; cat /proc/kcore | wc -c; ls /sys/firmware | wc -l"]);
    expect(r.stdout).not.toContain("wrote");
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(r.stdout.trim().split("\n")).toEqual(["0", "0"]);
  });

  test("/dev holds the standard devices and links", async () => {
    const r = await fx.run(["sh", "-c", "ls /dev | sort | tr '\\n' ' '; echo; readlink /dev/ptmx; readlink /dev/fd; head -c 4 /dev/zero | wc -c"]);
    const [devs, ptmx, fd, zeros] = r.stdout.trim().split("\n");
    // Exactly what runc (1.1, this host's) makes under dockerd: no /dev/core.
    expect(devs!.split(" ").filter(Boolean)).toEqual(["fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"]);
    expect(ptmx).toBe("pts/ptmx");
    expect(fd).toBe("/proc/self/fd");
    expect(zeros).toBe("4");
  });

  test("capabilities are Docker's default set", async () => {
    const r = await fx.run(["sh", "-c", "grep -E '^Cap(Eff|Bnd|Prm)' /proc/self/status"]);
    expect(r.stdout).toContain("CapEff:\t00000000a80425fb");
    expect(r.stdout).toContain("CapBnd:\t00000000a80425fb");
    expect(r.stdout).toContain("CapPrm:\t00000000a80425fb");
  });

  test("cap-drop ALL and no-new-privileges", async () => {
    const r = await fx.run(["sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status"], { capabilities: [], noNewPrivileges: true });
    expect(r.stdout).toContain("CapEff:\t0000000000000000");
    expect(r.stdout).toContain("CapBnd:\t0000000000000000");
    expect(r.stdout).toContain("NoNewPrivs:\t1");
  });

  test("user nobody (with supplementary groups) and 1000:1000", async () => {
    const a = await fx.run(["id"], { user: "nobody" });
    expect(a.stdout.trim()).toBe("uid=65534(nobody) gid=65534(nogroup) groups=50(staff),65534(nogroup)");
    const b = await fx.run(["sh", "-c", "id; grep CapEff /proc/self/status"], { user: "1000:1000" });
    expect(b.stdout).toContain("uid=1000(user) gid=1000(user)");
    expect(b.stdout).toContain("CapEff:\t0000000000000000");
  });

  test("exit codes propagate", async () => {
    expect((await fx.run(["sh", "-c", "exit 3"])).state.exitCode).toBe(3);
  });

  test("env, cwd, rlimits and a read-only rootfs", async () => {
    const r = await fx.run(["sh", "-c", "echo $FOO; pwd; ulimit -n; touch /x 2>&1 || echo ro"], {
      env: ["PATH=/bin", "FOO=bar"], cwd: "/tmp/work", readonlyRootfs: true, rlimits: [{ type: "RLIMIT_NOFILE", soft: 123, hard: 456 }],
    });
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("bar");
    expect(lines[1]).toBe("/tmp/work");
    expect(lines[2]).toBe("123");
    expect(lines.at(-1)).toBe("ro");
  });

  test("a nonexistent command fails with 127 and Docker's message", async () => {
    const { dir, spec } = fx.container(["foo"]);
    const err = (await fx.runtime.start(dir, spec).catch((e: unknown) => e)) as StartError;
    expect(err).toBeInstanceOf(StartError);
    expect(err.status).toBe(400);
    expect(err.exitCode).toBe(127);
    expect(err.message).toBe('exec: "foo": executable file not found in $PATH');
    expect(readState(dir)).toMatchObject({ status: "exited", exitCode: 127 });
  });

  test("a file without execute permission fails with 126", async () => {
    const { dir, spec } = fx.container(["/etc/passwd"]);
    const err = (await fx.runtime.start(dir, spec).catch((e: unknown) => e)) as StartError;
    expect(err.exitCode).toBe(126);
    expect(err.message).toBe('exec: "/etc/passwd": permission denied');
  });

  test("bind mounts (read-only too) and /etc files from the container dir", async () => {
    const { dir } = fx.container(["true"]);
    await Bun.write(`${dir}/hosts`, "127.0.0.1 localhost box\n");
    await Bun.write(`${dir}/vol/data.txt`, "from host\n");
    const r = await fx.run(["sh", "-c", "cat /etc/hosts /data/data.txt; touch /data/x 2>/dev/null || echo ro"], {
      etcFiles: { hosts: `${dir}/hosts` }, binds: [{ source: `${dir}/vol`, destination: "/data", readonly: true }],
    });
    expect(r.stdout).toBe("127.0.0.1 localhost box\nfrom host\nro\n");
  });

  test("nothing is left mounted on the host", () => {
    expect(hostMountsUnder(fx.base)).toEqual([]);
    expect(existsSync(fx.base)).toBe(true);
  });
});
