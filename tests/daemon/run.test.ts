// `berth run` end to end: CLI → daemon → shim → container, and what the
// container sees from inside (isolation asserted from within).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { helloWorldMessage } from "../../src/image/hello-world/program.ts";
import { cgroupVersion, sharesToWeight } from "../../src/runtime/cgroups/index.ts";

let d: TestDaemon;
const ok = requireDaemon();

beforeAll(async () => {
  if (!ok) return;
  d = await startDaemon();
  const imp = await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest", "--change", 'CMD ["sh"]']);
  expect(imp.code).toBe(0);
});
afterAll(async () => {
  if (ok) await d.stop();
});

describe.if(ok)("berth run", () => {
  test("hello-world prints its message from the built-in image", async () => {
    const r = await d.cli(["run", "--rm", "hello-world"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(helloWorldMessage);
    expect(r.code).toBe(0);
  });

  test("the command is PID 1 and sees only its own processes", async () => {
    const r = await d.cli(["run", "--rm", "busybox", "sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'"]);
    const [pid, count] = r.stdout.trim().split("\n");
    expect(pid).toBe("1");
    expect(Number(count)).toBeLessThanOrEqual(3); // sh, ls, grep
  });

  test("an image's symlinks cannot lead the /etc bind mounts onto the host", async () => {
    // /etc is a link to "/": resolved inside the container, the files land in its own root.
    const dir = `${d.dir}/evil-etc`;
    Bun.spawnSync(["mkdir", "-p", `${dir}/rootfs/bin`]);
    Bun.spawnSync(["cp", "/bin/busybox", `${dir}/rootfs/bin/busybox`]);
    Bun.spawnSync(["ln", "-s", "busybox", `${dir}/rootfs/bin/sh`]);
    Bun.spawnSync(["ln", "-s", "busybox", `${dir}/rootfs/bin/cat`]);
    Bun.spawnSync(["ln", "-s", "/", `${dir}/rootfs/etc`]);
    Bun.spawnSync(["tar", "-C", `${dir}/rootfs`, "-cf", `${dir}/evil.tar`, "."]);
    expect((await d.cli(["import", `${dir}/evil.tar`, "evil-etc:1"])).code).toBe(0);
    const hostHad = await Bun.file("/hostname").exists();
    const r = await d.cli(["run", "--rm", "--hostname", "evilhost", "evil-etc:1", "cat", "/hostname"]);
    expect(r.stdout).toBe("evilhost\n");
    expect(await Bun.file("/hostname").exists()).toBe(hostHad);
  });

  test("hostname is the container's own", async () => {
    const r = await d.cli(["run", "--rm", "-h", "boxy", "busybox", "hostname"]);
    expect(r.stdout.trim()).toBe("boxy");
  });

  test("as dockerd sets them up: HOSTNAME in the environment (execs' too), and under --network none its /etc/hosts and resolv.conf, with --add-host and --dns", async () => {
    const env = await d.cli(["run", "--rm", "--network", "none", "-h", "boxy", "busybox", "env"]);
    expect(env.stdout.split("\n")).toContain("HOSTNAME=boxy");
    // The image's Env (or -e) wins over it.
    expect((await d.cli(["run", "--rm", "--network", "none", "-e", "HOSTNAME=mine", "busybox", "sh", "-c", "echo $HOSTNAME"])).stdout).toBe("mine\n");
    const id = (await d.cli(["run", "-d", "--network", "none", "-h", "execd", "busybox", "sleep", "100"])).stdout.trim();
    expect((await d.cli(["exec", id, "sh", "-c", "echo $HOSTNAME"])).stdout).toBe("execd\n");
    await d.cli(["rm", "-f", id]);

    const files = await d.cli(["run", "--rm", "--network", "none", "--add-host", "db.local:10.1.2.3", "--dns", "10.9.9.9", "--dns-search", "corp", "busybox", "sh", "-c", "cat /etc/hosts; echo --; cat /etc/resolv.conf"]);
    expect(files.stdout).toBe(
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n" +
        "10.1.2.3\tdb.local\n--\nnameserver 10.9.9.9\nsearch corp\n",
    );
    // Without --dns, the host's resolvers that a container can reach (loopback ones are not), or Google's.
    const conf = (await d.cli(["run", "--rm", "--network", "none", "busybox", "cat", "/etc/resolv.conf"])).stdout;
    expect(conf).toMatch(/^nameserver /);
    expect(conf).not.toMatch(/nameserver (127\.|::1)/);
  });

  test("the container sees its own cgroups' limits at /sys/fs/cgroup, read-only, as under dockerd (with its cgroup namespace or the host's)", async () => {
    const v2 = cgroupVersion() === "2";
    const files = v2 ? "/sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max" : "/sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max";
    const want = v2 ? "67108864\n50000 100000\n5\n" : "67108864\n50000\n5\n";
    for (const ns of ["private", "host"]) {
      const r = await d.cli(["run", "--rm", "--cgroupns", ns, "-m", "64m", "--cpus", "0.5", "--pids-limit", "5", "busybox", "sh", "-c", `cat ${files}; touch ${files.split(" ")[0]}.x`]);
      expect(r.stdout).toBe(want);
      expect(r.stderr).toContain("Read-only file system");
    }
  });

  test("with --network none only lo is there", async () => {
    const r = await d.cli(["run", "--rm", "--network", "none", "busybox", "cat", "/proc/net/dev"]);
    const ifaces = r.stdout.split("\n").slice(2).filter(Boolean).map((l) => l.split(":")[0]!.trim());
    expect(ifaces).toEqual(["lo"]);
  });

  test("with --network host the host's interfaces are there, from a standby shim or a cold one", async () => {
    const names = (devTable: string) => devTable.split("\n").slice(2).filter(Boolean).map((l) => l.split(":")[0]!.trim()).sort();
    const host = names(readFileSync("/proc/net/dev", "utf8"));
    expect(host.length).toBeGreaterThan(1);
    // The first start takes the standby (given time to be made); the second, back to back, comes before the next one.
    await Bun.sleep(300);
    for (let i = 0; i < 2; i++) {
      const r = await d.cli(["run", "--rm", "--network", "host", "busybox", "cat", "/proc/net/dev"]);
      expect(r.code).toBe(0);
      expect(names(r.stdout)).toEqual(host);
    }
    // And the next container, from a standby that made its network namespace ahead, is cut off again.
    await Bun.sleep(300);
    const none = await d.cli(["run", "--rm", "busybox", "cat", "/proc/net/dev"]);
    expect(names(none.stdout)).toEqual(["lo"]);
  });

  test("--network container:NAME joins that container's network namespace and shares its hostname", async () => {
    const a = (await d.cli(["run", "-d", "--name", "netowner", "-h", "owner", "busybox", "sleep", "30"])).stdout.trim();
    const own = (await d.cli(["exec", "netowner", "busybox", "readlink", "/proc/self/ns/net"])).stdout.trim();
    expect(own).toMatch(/^net:\[\d+\]$/);
    const r = await d.cli(["run", "--rm", "--network", "container:netowner", "busybox", "sh", "-c", "busybox readlink /proc/self/ns/net; hostname"]);
    expect(r.stdout).toBe(`${own}\nowner\n`);
    // Stored by ID, as a rename must not part them.
    const joiner = (await d.cli(["create", "--network", "container:netowner", "busybox", "true"])).stdout.trim();
    expect((await d.cli(["inspect", "-f", "{{.HostConfig.NetworkMode}}", joiner])).stdout.trim()).toBe(`container:${a}`);
    // Docker's refusals: no such container, a hostname of its own, the other container not running.
    const missing = await d.cli(["run", "--rm", "--network", "container:nope", "busybox", "true"]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain("No such container: nope");
    const named = await d.cli(["run", "--rm", "-h", "mine", "--network", "container:netowner", "busybox", "true"]);
    expect(named.code).toBe(125);
    expect(named.stderr).toContain("conflicting options: hostname and the network mode");
    await d.cli(["stop", "-t", "0", "netowner"]);
    const stopped = await d.cli(["start", joiner]);
    expect(stopped.code).not.toBe(0);
    expect(stopped.stderr).toContain(`cannot join network of a non running container: ${a}`);
    await d.cli(["rm", "-f", joiner, "netowner"]);
  });

  test("the host's mounts are invisible", async () => {
    const r = await d.cli(["run", "--rm", "busybox", "cat", "/proc/self/mounts"]);
    const points = r.stdout.trim().split("\n").map((l) => l.split(" ")[1]!);
    expect(r.stdout).toMatch(/^overlay \/ overlay/m);
    const expected = /^\/(proc|sys|dev)(\/.*)?$|^\/etc\/(hostname|hosts|resolv\.conf)$|^\/$/;
    expect(points.filter((p) => !expected.test(p))).toEqual([]);
    // The host's own mount points (this test's directory, /work) are not there.
    expect(points.some((p) => p.startsWith("/tmp") || p.startsWith("/work"))).toBe(false);
  });

  test("the capability set equals Docker's default", async () => {
    const r = await d.cli(["run", "--rm", "busybox", "grep", "CapEff", "/proc/self/status"]);
    expect(r.stdout.trim()).toBe("CapEff:\t00000000a80425fb");
  });

  test("writes to /proc/sys fail", async () => {
    const r = await d.cli(["run", "--rm", "busybox", "sh", "-c", "echo 1 > /proc/sys/kernel/domainname"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
  });

  test("--user resolves names from the image and numbers as given", async () => {
    expect((await d.cli(["run", "--rm", "-u", "nobody", "busybox", "id"])).stdout.trim()).toBe("uid=65534(nobody) gid=65534(nogroup) groups=50(staff),65534(nogroup)");
    expect((await d.cli(["run", "--rm", "-u", "1000:1000", "busybox", "id", "-u"])).stdout.trim()).toBe("1000");
  });

  test("env, workdir and exit codes", async () => {
    const r = await d.cli(["run", "--rm", "-e", "GREETING=hi", "-w", "/tmp/work", "busybox", "sh", "-c", 'echo "$GREETING $(pwd)"; exit 3']);
    expect(r.stdout.trim()).toBe("hi /tmp/work");
    expect(r.code).toBe(3);
  });

  test("a command missing from the image exits 127 with Docker's message", async () => {
    const r = await d.cli(["run", "--rm", "busybox", "nosuchcmd"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('exec: "nosuchcmd": executable file not found in $PATH');
  });

  test("a file that cannot be executed exits 126", async () => {
    const r = await d.cli(["run", "--rm", "busybox", "/etc/passwd"]);
    expect(r.code).toBe(126);
    expect(r.stderr).toContain("permission denied");
  });

  test("an unknown image is a clear error, exit 125", async () => {
    const r = await d.cli(["run", "--rm", "--pull", "never", "nosuchimage"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("No such image: nosuchimage:latest");
    // Missing locally, so pulled; nothing answers on port 1.
    const p = await d.cli(["run", "--rm", "127.0.0.1:1/nosuchimage"]);
    expect(p.code).toBe(125);
    expect(p.stderr).toContain("Unable to find image '127.0.0.1:1/nosuchimage:latest' locally");
    expect(p.stderr).toContain("dial tcp 127.0.0.1:1: connect: connection refused");
    expect((await d.cli(["ps", "-aq"])).stdout).toBe("");
  });

  test("a memory hog under -m 32m is OOM-killed: exit 137, OOMKilled true", async () => {
    const r = await d.cli(["run", "--name", "hog", "-m", "32m", "busybox", "sh", "-c", "x=$(yes | head -c 200000000); echo survived"]);
    expect(r.code).toBe(137);
    const st = await d.cli(["inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "hog"]);
    expect(st.stdout.trim()).toBe("true 137");
    await d.cli(["rm", "hog"]);
  });

  test("limits reach the container's cgroup, whether its shim was a standby or started cold", async () => {
    const v2 = cgroupVersion() === "2";
    const file = (id: string, controller: string, name: string) =>
      readFileSync(v2 ? `/sys/fs/cgroup/${d.cgroupParent}/${id}/${name}` : `/sys/fs/cgroup/${controller}/${d.cgroupParent}/${id}/${name}`, "utf8").trim();
    // The first start takes the standby (given time to be made); the second, right after, starts a shim cold.
    await Bun.sleep(300);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await d.cli(["run", "-d", "-m", "64m", "--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0", "--pids-limit", "50", "busybox", "sleep", "30"]);
      expect(r.code).toBe(0);
      ids.push(r.stdout.trim());
    }
    for (const id of ids) {
      if (v2) {
        expect(file(id, "memory", "memory.max")).toBe(String(64 << 20));
        expect(file(id, "cpu", "cpu.max")).toBe("50000 100000");
        expect(file(id, "cpu", "cpu.weight")).toBe(String(sharesToWeight(512)));
      } else {
        expect(file(id, "memory", "memory.limit_in_bytes")).toBe(String(64 << 20));
        expect(file(id, "cpu", "cpu.cfs_quota_us")).toBe("50000");
        expect(file(id, "cpu", "cpu.shares")).toBe("512");
      }
      expect(file(id, "cpuset", "cpuset.cpus")).toBe("0");
      expect(file(id, "pids", "pids.max")).toBe("50");
    }
    await d.cli(["rm", "-f", ...ids]);
  });

  test("an invalid memory value is refused before anything is created", async () => {
    const before = (await d.cli(["ps", "-aq"])).stdout;
    const r = await d.cli(["run", "-m", "1k", "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("Minimum memory limit allowed is 6MB");
    expect((await d.cli(["ps", "-aq"])).stdout).toBe(before);
  });

  test("json-file rotation: max-size and max-file keep the newest lines in at most max-file files, and logs reads them in order", async () => {
    const script = "i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); done";
    const r = await d.cli(["run", "--name", "rotating", "--log-opt", "max-size=2k", "--log-opt", "max-file=3", "busybox", "sh", "-c", script]);
    expect(r.code).toBe(0);
    const logPath = (await d.cli(["inspect", "-f", "{{.LogPath}}", "rotating"])).stdout.trim();
    for (const f of [logPath, `${logPath}.1`, `${logPath}.2`]) {
      const size = statSync(f).size;
      expect(size).toBeGreaterThan(0);
      expect(size).toBeLessThanOrEqual(2000);
    }
    expect(existsSync(`${logPath}.3`)).toBe(false);
    const records = [logPath, `${logPath}.1`, `${logPath}.2`].reduce((n, f) => n + readFileSync(f, "utf8").split("\n").filter(Boolean).length, 0);
    const lines = (await d.cli(["logs", "rotating"])).stdout.split("\n").filter(Boolean);
    expect(lines.length).toBe(records); // every kept file is read, not only the live one
    const first = Number(lines[0]!.slice("line".length));
    expect(first).toBeGreaterThan(0); // the oldest lines went with the oldest file
    expect(lines).toEqual(Array.from({ length: 300 - first }, (_, k) => `line${first + k}`));
    expect((await d.cli(["logs", "--tail", "3", "rotating"])).stdout).toBe("line297\nline298\nline299\n");
    await d.cli(["rm", "rotating"]);

    // compress: the rotated files are gzipped, and logs reads them as well.
    const z = await d.cli(["run", "--name", "rotating-gz", "--log-opt", "max-size=2k", "--log-opt", "max-file=3", "--log-opt", "compress=true", "busybox", "sh", "-c", script]);
    expect(z.code).toBe(0);
    const zPath = (await d.cli(["inspect", "-f", "{{.LogPath}}", "rotating-gz"])).stdout.trim();
    expect(existsSync(`${zPath}.1.gz`) && existsSync(`${zPath}.2.gz`)).toBe(true);
    expect(existsSync(`${zPath}.1`) || existsSync(`${zPath}.3.gz`)).toBe(false);
    const zLines = (await d.cli(["logs", "rotating-gz"])).stdout.split("\n").filter(Boolean);
    const zFirst = Number(zLines[0]!.slice("line".length));
    expect(zLines).toEqual(Array.from({ length: 300 - zFirst }, (_, k) => `line${zFirst + k}`));
    expect(zLines.length).toBeGreaterThan(readFileSync(zPath, "utf8").split("\n").filter(Boolean).length);
    await d.cli(["rm", "rotating-gz"]);
  });

  test("logs -f follows the log across rotations", async () => {
    const script = "i=0; while [ $i -lt 80 ]; do echo line$i; i=$((i+1)); sleep 0.01; done";
    const id = (await d.cli(["run", "-d", "--log-opt", "max-size=1k", "--log-opt", "max-file=20", "busybox", "sh", "-c", script])).stdout.trim();
    const followed = await d.cli(["logs", "-f", id]);
    expect(followed.stdout).toBe(Array.from({ length: 80 }, (_, k) => `line${k}\n`).join(""));
    const logPath = (await d.cli(["inspect", "-f", "{{.LogPath}}", id])).stdout.trim();
    expect(existsSync(`${logPath}.2`)).toBe(true); // it did rotate while followed
    await d.cli(["rm", id]);
  });

  test("--log-driver none: the output still reaches the client, nothing is kept, and logs says why", async () => {
    const r = await d.cli(["run", "--name", "unlogged", "--log-driver", "none", "busybox", "echo", "seen"]);
    expect(r.stdout).toBe("seen\n");
    expect((await d.cli(["inspect", "-f", "{{.LogPath}} {{.HostConfig.LogConfig.Type}}", "unlogged"])).stdout.trim()).toBe("none");
    const id = (await d.cli(["inspect", "-f", "{{.Id}}", "unlogged"])).stdout.trim();
    // Where its json-file log would be: a logged container's path, with the id swapped.
    const logged = (await d.cli(["run", "-d", "busybox", "echo", "kept"])).stdout.trim();
    await d.cli(["wait", logged]);
    const loggedPath = (await d.cli(["inspect", "-f", "{{.LogPath}}", logged])).stdout.trim();
    expect(existsSync(loggedPath)).toBe(true);
    expect(existsSync(loggedPath.replaceAll(logged, id))).toBe(false);
    await d.cli(["rm", logged]);
    const logs = await d.cli(["logs", "unlogged"]);
    expect(logs.code).not.toBe(0);
    expect(logs.stderr).toContain("configured logging driver does not support reading");
    const bad = await d.cli(["create", "--log-driver", "none", "--log-opt", "max-size=1k", "busybox", "true"]);
    expect(bad.stderr).toContain("unknown log opt 'max-size' for none log driver");
    await d.cli(["rm", "unlogged"]);
  });
});
