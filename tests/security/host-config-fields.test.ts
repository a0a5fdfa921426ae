// HostConfig fields berth used to drop silently (issue 17: options berth does not implement are
// refused, not silently accepted). The memory reservation, swappiness and OOM killer switch are
// honoured in the container's cgroup (warned about and dropped where cgroup v2 has no file for
// them, as dockerd does), and so are UTSMode host, PidMode host or container:<name> and IpcMode host,
// none, shareable or container:<name>; a volume's Subpath is refused with a 400 naming the field.
// Through the API, berth's CLI and the docker CLI.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostname } from "node:os";
import { busyboxDaemonForFile, cgroupDirs, type TestDaemon } from "../fixtures/daemon.ts";

const docker = "/usr/local/bin/docker";

const daemon = busyboxDaemonForFile();

describe.if(daemon.ok)("HostConfig fields: honoured or refused, never dropped", () => {
  let d: TestDaemon;
  beforeAll(() => {
    d = daemon.d;
  });

  const create = async (hostConfig: Record<string, unknown>) => {
    const res = await fetch("http://localhost/containers/create", {
      method: "POST", unix: d.socket, headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ Image: "busybox", Cmd: ["sleep", "1000"], HostConfig: hostConfig }),
    } as RequestInit);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  /** The memory controller's file of a container (cgroup v1), or undefined on v2. */
  const memoryFile = (id: string, file: string): string | undefined => {
    for (const dir of cgroupDirs(d.cgroupParent)) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) if (name.includes(id.slice(0, 12)) && existsSync(join(dir, name, file))) return readFileSync(join(dir, name, file), "utf8");
    }
    return undefined;
  };
  const v2 = existsSync("/sys/fs/cgroup/cgroup.controllers");

  test("IPC, PID or UTS modes that do not exist, and a donor that does not: 4xx naming them; nothing made", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ PidMode: "bogus" }, "invalid PID mode: bogus"],
      [{ PidMode: "container:" }, "invalid PID mode: container:"],
      [{ UTSMode: "container:other" }, "invalid UTS mode: container:other"],
      [{ IpcMode: "container:" }, "invalid IPC mode: container:"],
      [{ IpcMode: "bogus" }, "invalid IPC mode: bogus"],
    ];
    for (const [hc, message] of cases) {
      const r = await create(hc);
      expect(`${r.status} ${r.body.message}`).toStartWith(`400 ${message}`);
    }
    const missing = await create({ PidMode: "container:no-such-one" });
    expect(`${missing.status} ${missing.body.message}`).toBe("404 No such container: no-such-one");
    const noDonor = await create({ IpcMode: "container:no-such-one" });
    expect(`${noDonor.status} ${noDonor.body.message}`).toBe("404 No such container: no-such-one");
    expect((await d.cli(["ps", "-aq"])).stdout.trim()).toBe("");
    // The modes berth has pass.
    for (const IpcMode of ["", "private", "shareable", "host", "none"]) expect((await create({ IpcMode, PidMode: "", UTSMode: "" })).status).toBe(201);
    expect((await create({ UTSMode: "host" })).status).toBe(201);
    expect((await create({ PidMode: "host" })).status).toBe(201);
    expect((await d.cli(["rm", "-f", ...(await d.cli(["ps", "-aq"])).stdout.trim().split("\n")])).code).toBe(0);
  });

  test("UTSMode host: the host's UTS namespace and hostname; a hostname asked for beside it conflicts", async () => {
    const host = await d.cli(["run", "--rm", "--uts", "host", "busybox", "sh", "-c", "hostname; cat /etc/hostname; cat /proc/sys/kernel/domainname; readlink /proc/self/ns/uts"]);
    const [name, file, domain, ns] = host.stdout.trim().split("\n");
    expect([name, file, domain, ns]).toEqual([hostname(), hostname(), readFileSync("/proc/sys/kernel/domainname", "utf8").trim(), readlinkSync("/proc/self/ns/uts")]);
    const own = await d.cli(["run", "--rm", "busybox", "sh", "-c", "readlink /proc/self/ns/uts"]);
    expect(own.stdout.trim()).not.toBe(readlinkSync("/proc/self/ns/uts"));
    const conflict = await d.cli(["run", "--rm", "--uts", "host", "-h", "mine", "busybox", "true"]);
    expect(conflict.code).toBe(125);
    expect(conflict.stderr).toContain("Conflicting options: hostname and the UTS mode");
    // An exec joins the same namespace.
    expect((await d.cli(["run", "-d", "--name", "uts", "--uts", "host", "busybox", "sleep", "1000"])).code).toBe(0);
    expect((await d.cli(["exec", "uts", "hostname"])).stdout.trim()).toBe(hostname());
    expect((await d.cli(["rm", "-f", "uts"])).code).toBe(0);
  });

  test("PidMode host: the host's PID namespace, its processes seen, exec inside, and what the container leaves killed at its end", async () => {
    const hostNs = readlinkSync("/proc/self/ns/pid");
    const r = await d.cli(["run", "--rm", "--pid", "host", "busybox", "sh", "-c", `readlink /proc/self/ns/pid; test -d /proc/${process.pid} && echo sees-host`]);
    expect(r.stdout.trim().split("\n")).toEqual([hostNs, "sees-host"]);
    // A child left running in the background: in the host's namespace nothing kills it but the engine.
    const bg = await d.cli(["run", "-d", "--name", "pidhost", "--pid", "host", "busybox", "sh", "-c", "sleep 997 & echo $!; exec sleep 1000"]);
    expect(bg.code).toBe(0);
    let child = 0;
    for (const end = Date.now() + 10_000; !child && Date.now() < end; await Bun.sleep(50)) child = Number((await d.cli(["logs", "pidhost"])).stdout.trim());
    expect(readFileSync(`/proc/${child}/cmdline`, "utf8")).toBe("sleep\0" + "997\0");
    expect((await d.cli(["exec", "pidhost", "sh", "-c", "readlink /proc/self/ns/pid"])).stdout.trim()).toBe(hostNs);
    expect((await d.cli(["stop", "-t", "1", "pidhost"])).code).toBe(0);
    for (const end = Date.now() + 10_000; existsSync(`/proc/${child}`) && Date.now() < end; ) await Bun.sleep(50);
    expect(existsSync(`/proc/${child}`)).toBe(false);
    expect((await d.cli(["rm", "pidhost"])).code).toBe(0);
  });

  test("--init under PidMode host reaps the program's orphans (a child subreaper, as docker-init -s)", async () => {
    // The program's child forks a sleep and exits: the sleep, orphaned, must go to the init, which reaps it when it ends.
    const run = await d.cli(["run", "-d", "--init", "--pid", "host", "busybox", "sh", "-c", "sh -c 'sleep 3 & echo $!'; exec sleep 1000"]);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    try {
      const init = Number((await d.cli(["inspect", "-f", "{{.State.Pid}}", id])).stdout.trim());
      let orphan = 0;
      for (const end = Date.now() + 10_000; !orphan && Date.now() < end; await Bun.sleep(50)) orphan = Number((await d.cli(["logs", id])).stdout.trim());
      const status = (pid: number, key: string) => {
        try {
          return readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${key}:\\s*(\\S+)`, "m"))?.[1];
        } catch {
          return undefined; // gone: reaped
        }
      };
      expect(readFileSync(`/proc/${orphan}/cmdline`, "utf8")).toBe("sleep\0" + "3\0");
      expect(status(orphan, "PPid")).toBe(String(init));
      // It ends after 3 s; a zombie stays one until its parent reaps it, a reaped one is gone.
      for (const end = Date.now() + 15_000; status(orphan, "State") && Date.now() < end; ) await Bun.sleep(100);
      expect(status(orphan, "State")).toBeUndefined();
      expect((await d.cli(["inspect", "-f", "{{.State.Running}}", id])).stdout.trim()).toBe("true");
    } finally {
      await d.cli(["rm", "-f", id]);
    }
  });

  test("PidMode container:<name>: the other container's PID namespace, while it runs", async () => {
    expect((await d.cli(["run", "-d", "--name", "pidtarget", "busybox", "sleep", "1000"])).code).toBe(0);
    const targetPid = Number((await d.cli(["inspect", "-f", "{{.State.Pid}}", "pidtarget"])).stdout.trim());
    const r = await d.cli(["run", "--rm", "--pid", "container:pidtarget", "busybox", "sh", "-c", "readlink /proc/self/ns/pid; cat /proc/1/cmdline | tr '\\0' ' '"]);
    expect(r.stdout.trim().split("\n")).toEqual([readlinkSync(`/proc/${targetPid}/ns/pid`), "sleep 1000"]);
    const id = (await d.cli(["inspect", "-f", "{{.Id}}", "pidtarget"])).stdout.trim();
    const joined = await d.cli(["create", "--name", "joiner", "--pid", "container:pidtarget", "busybox", "true"]);
    expect(joined.code).toBe(0);
    expect((await d.cli(["inspect", "-f", "{{.HostConfig.PidMode}}", "joiner"])).stdout.trim()).toBe(`container:${id}`);
    expect((await d.cli(["stop", "-t", "0", "pidtarget"])).code).toBe(0);
    const notRunning = await d.cli(["start", "joiner"]);
    expect(notRunning.code).not.toBe(0);
    expect(notRunning.stderr).toContain(`cannot join PID of a non running container: ${id}`);
    expect((await d.cli(["rm", "-f", "joiner", "pidtarget"])).code).toBe(0);
  });

  test("IpcMode host: the host's IPC namespace and /dev/shm; none: no /dev/shm; the default: its own of both", async () => {
    const hostNs = readlinkSync("/proc/self/ns/ipc");
    const marker = `berth-test-ipc-${process.pid}`;
    writeFileSync(`/dev/shm/${marker}`, "from the host\n");
    try {
      const script = `readlink /proc/self/ns/ipc; cat /dev/shm/${marker} 2>/dev/null || echo unseen; grep -c ' /dev/shm ' /proc/mounts`;
      const host = await d.cli(["run", "--rm", "--ipc", "host", "busybox", "sh", "-c", script]);
      expect(host.stdout.trim().split("\n")).toEqual([hostNs, "from the host", "1"]);
      const none = await d.cli(["run", "--rm", "--ipc", "none", "busybox", "sh", "-c", script]);
      const [noneNs, noneShm, noneMounts] = none.stdout.trim().split("\n");
      expect([noneNs === hostNs, noneShm, noneMounts]).toEqual([false, "unseen", "0"]);
      const own = await d.cli(["run", "--rm", "busybox", "sh", "-c", script]);
      const [ownNs, ownShm, ownMounts] = own.stdout.trim().split("\n");
      expect([ownNs === hostNs, ownShm, ownMounts]).toEqual([false, "unseen", "1"]);
    } finally {
      rmSync(`/dev/shm/${marker}`, { force: true });
    }
  });

  test("IpcMode container:<name>: a shareable donor's IPC namespace, SysV segments and /dev/shm, both ways; a private or stopped donor refused in dockerd's words", async () => {
    expect((await d.cli(["run", "-d", "--name", "ipcdonor", "--ipc", "shareable", "busybox", "sleep", "1000"])).code).toBe(0);
    const donor = (await d.cli(["inspect", "-f", "{{.Id}} {{.State.Pid}}", "ipcdonor"])).stdout.trim().split(" ");
    const [donorId, donorPid] = [donor[0]!, Number(donor[1])];
    const shmOnHost = join(d.dir, "data", "containers", donorId, "shm");
    const hostMounts = () => readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4]);
    try {
      expect(hostMounts()).toContain(shmOnHost);
      expect((await d.cli(["exec", "ipcdonor", "sh", "-c", "echo from-donor > /dev/shm/marker"])).code).toBe(0);
      // A SysV segment made in the donor's IPC namespace (busybox has no ipcmk: the host's, inside it).
      const made = Bun.spawnSync(["nsenter", `--ipc=/proc/${donorPid}/ns/ipc`, "ipcmk", "-M", "4096"]);
      const shmid = /(\d+)\s*$/.exec(made.stdout.toString().trim())?.[1];
      expect(shmid).toBeDefined();
      const segments = (out: string) => out.split("\n").slice(1).map((l) => l.trim().split(/\s+/)[1]).filter(Boolean);
      const joiner = await d.cli(["run", "--rm", "--ipc", "container:ipcdonor", "busybox", "sh", "-c",
        "readlink /proc/self/ns/ipc; cat /dev/shm/marker; echo from-joiner > /dev/shm/back; cat /proc/sysvipc/shm"]);
      expect(joiner.code).toBe(0);
      const [ns, marker, ...sysv] = joiner.stdout.trim().split("\n");
      expect([ns, marker]).toEqual([readlinkSync(`/proc/${donorPid}/ns/ipc`), "from-donor"]);
      expect(segments(sysv.join("\n"))).toContain(shmid!);
      expect((await d.cli(["exec", "ipcdonor", "cat", "/dev/shm/back"])).stdout).toBe("from-joiner\n");
      // A container of its own sees neither.
      const own = await d.cli(["run", "--rm", "busybox", "sh", "-c", "cat /proc/sysvipc/shm; echo --; ls /dev/shm"]);
      const [ownSysv, ownShm] = own.stdout.split("--\n");
      expect([segments(ownSysv!), ownShm]).toEqual([[], ""]);

      // The default, private (stored so, as dockerd stores it), is not shareable: refused at start, as dockerd does, with its words and status.
      expect((await d.cli(["run", "-d", "--name", "ipcprivate", "busybox", "sleep", "1000"])).code).toBe(0);
      expect((await d.cli(["inspect", "-f", "{{.HostConfig.IpcMode}}", "ipcprivate"])).stdout).toBe("private\n");
      const privateId = (await d.cli(["inspect", "-f", "{{.Id}}", "ipcprivate"])).stdout.trim();
      const joinPrivate = await create({ IpcMode: "container:ipcprivate" });
      expect(joinPrivate.status).toBe(201);
      const startPrivate = await fetch(`http://localhost/containers/${joinPrivate.body.Id}/start`, { method: "POST", unix: d.socket } as RequestInit);
      expect([startPrivate.status, ((await startPrivate.json()) as { message: string }).message]).toEqual([400, `container ${privateId}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`]);

      // A stopped donor: nothing to join, and its tmpfs is gone from the host.
      expect((await d.cli(["stop", "-t", "0", "ipcdonor"])).code).toBe(0);
      expect(hostMounts()).not.toContain(shmOnHost);
      const stopped = await d.cli(["run", "--rm", "--ipc", "container:ipcdonor", "busybox", "true"]);
      expect(stopped.code).toBe(125);
      expect(stopped.stderr).toContain(`container ${donorId} is not running`);
    } finally {
      await d.cli(["rm", "-f", ...(await d.cli(["ps", "-aq"])).stdout.trim().split("\n").filter(Boolean)]);
    }
    expect(hostMounts()).not.toContain(shmOnHost);
  });

  test("a volume mount's Subpath: 400 naming the field", async () => {
    const r = await create({ Mounts: [{ Type: "volume", Source: "sub", Target: "/v", VolumeOptions: { Subpath: "dir" } }] });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain("field VolumeOptions.Subpath is not supported by berth");
    expect((await d.cli(["volume", "ls", "-q"])).stdout.trim()).toBe("");
  });

  test("MemoryReservation, MemorySwappiness and OomKillDisable reach the container's cgroup", async () => {
    const r = await create({ Memory: 64 << 20, MemoryReservation: 16 << 20, MemorySwappiness: 10, OomKillDisable: true });
    expect(r.status).toBe(201);
    const id = r.body.Id as string;
    expect((await d.cli(["start", id])).code).toBe(0);
    const hc = JSON.parse((await d.cli(["inspect", "-f", "{{json .HostConfig}}", id])).stdout);
    expect(hc.MemoryReservation).toBe(16 << 20);
    if (v2) {
      expect(r.body.Warnings.join("\n")).toContain("Memory swappiness discarded");
      expect(r.body.Warnings.join("\n")).toContain("OomKillDisable discarded");
    } else {
      expect(r.body.Warnings).toEqual([]);
      expect(memoryFile(id, "memory.soft_limit_in_bytes")?.trim()).toBe(String(16 << 20));
      expect(memoryFile(id, "memory.swappiness")?.trim()).toBe("10");
      expect(memoryFile(id, "memory.oom_control")).toContain("oom_kill_disable 1");
    }
    // Without them, the kernel's defaults stay: the OOM killer on.
    const plain = await create({ Memory: 64 << 20 });
    expect((await d.cli(["start", plain.body.Id])).code).toBe(0);
    if (!v2) {
      expect(memoryFile(plain.body.Id, "memory.oom_control")).toContain("oom_kill_disable 0");
      expect(memoryFile(plain.body.Id, "memory.soft_limit_in_bytes")?.trim()).not.toBe(String(16 << 20));
    }
    expect((await d.cli(["rm", "-f", id, plain.body.Id])).code).toBe(0);
  });

  test("their bad values get dockerd's words; OomKillDisable without a memory limit its warning", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ MemoryReservation: 1024 }, "Minimum memory reservation allowed is 6MB"],
      [{ Memory: 16 << 20, MemoryReservation: 32 << 20 }, "Minimum memory limit can not be less than memory reservation limit, see usage"],
      [{ MemorySwappiness: 101 }, "Invalid value: 101, valid memory swappiness range is 0-100"],
      [{ MemorySwappiness: -2 }, "Invalid value: -2, valid memory swappiness range is 0-100"],
    ];
    for (const [hc, message] of cases) {
      const r = await create(hc);
      expect(`${r.status} ${r.body.message}`).toBe(`400 ${message}`);
    }
    const unlimited = await create({ OomKillDisable: true, MemorySwappiness: -1 });
    expect(unlimited.status).toBe(201);
    expect(unlimited.body.Warnings.join("\n")).toContain("OOM killer is disabled for the container, but no memory limit is set");
    expect((await d.cli(["rm", "-f", unlimited.body.Id])).code).toBe(0);
  });

  test("berth's CLI: --memory-reservation, --memory-swappiness, --oom-kill-disable set them; --ipc container: of a private one gets the daemon's refusal", async () => {
    const r = await d.cli(["run", "-d", "--name", "flags", "-m", "64m", "--memory-reservation", "16m", "--memory-swappiness", "20", "--oom-kill-disable", "busybox", "sleep", "1000"]);
    expect(r.code).toBe(0);
    const hc = JSON.parse((await d.cli(["inspect", "-f", "{{json .HostConfig}}", "flags"])).stdout);
    expect([hc.MemoryReservation, hc.MemorySwappiness, hc.OomKillDisable]).toEqual([16 << 20, v2 ? null : 20, !v2]);
    if (!v2) expect(memoryFile(r.stdout.trim(), "memory.swappiness")?.trim()).toBe("20");
    const refused = await d.cli(["run", "--rm", "--ipc", "container:flags", "busybox", "true"]);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain(`Error response from daemon: container ${r.stdout.trim()}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    expect((await d.cli(["rm", "-f", "flags"])).code).toBe(0);
  });

  test.if(existsSync(docker))("the docker CLI against berth: the same", async () => {
    const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, "docker-config") };
    const run = (args: string[]) => Bun.spawnSync([docker, ...args], { env, stdout: "pipe", stderr: "pipe" });
    expect(run(["run", "--rm", "--ipc", "host", "busybox", "sh", "-c", "readlink /proc/self/ns/ipc"]).stdout.toString().trim()).toBe(readlinkSync("/proc/self/ns/ipc"));
    expect(run(["run", "--rm", "--pid", "host", "busybox", "sh", "-c", "readlink /proc/self/ns/pid"]).stdout.toString().trim()).toBe(readlinkSync("/proc/self/ns/pid"));
    expect(run(["run", "--rm", "--uts", "host", "busybox", "hostname"]).stdout.toString().trim()).toBe(hostname());
    const ok = run(["run", "-d", "--name", "dk", "-m", "64m", "--memory-reservation", "24m", "--oom-kill-disable", "busybox", "sleep", "1000"]);
    expect(ok.stderr.toString()).toBe("");
    const id = ok.stdout.toString().trim();
    const hc = JSON.parse(run(["inspect", "-f", "{{json .HostConfig}}", "dk"]).stdout.toString());
    expect(hc.MemoryReservation).toBe(24 << 20);
    if (!v2) {
      expect(memoryFile(id, "memory.soft_limit_in_bytes")?.trim()).toBe(String(24 << 20));
      expect(memoryFile(id, "memory.oom_control")).toContain("oom_kill_disable 1");
    }
    expect(run(["rm", "-f", "dk"]).exitCode).toBe(0);
  });
});
