// exec and TTYs: berth's CLI and the docker CLI, into a running container.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cgroupVersion } from "../../src/runtime/cgroups/index.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { berthCmd, busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { tarStream } from "../../src/layer/tar/write.ts";

let d: TestDaemon;
const ok = requireDaemon();

beforeAll(async () => {
  if (!ok) return;
  d = await startDaemon();
  expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox"])).code).toBe(0);
  expect((await d.cli(["run", "-d", "--name", "box", "-e", "FROM_RUN=1", "busybox", "sleep", "3600"])).code).toBe(0);
});
afterAll(async () => {
  if (ok) await d.stop();
});

describe.if(ok)("exec", () => {
  test("joins the container's PID namespace and returns the exit code", async () => {
    const r = await d.cli(["exec", "box", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; exit 5"]);
    expect(r.stdout).toBe("sleep 3600 \n");
    expect(r.code).toBe(5);
  });

  test("sees the container's hostname, env and filesystem, with -e, -u and -w", async () => {
    await d.cli(["exec", "box", "sh", "-c", "echo marker > /tmp/m"]);
    const r = await d.cli(["exec", "-e", "X=2", "-u", "nobody", "-w", "/tmp", "box", "sh", "-c", 'echo "$FROM_RUN $X $(pwd) $(id -u) $(cat m)"']);
    expect(r.stdout.trim()).toBe("1 2 /tmp 65534 marker");
  });

  test("stdin with -i", async () => {
    const r = await d.cli(["exec", "-i", "box", "cat"], { stdin: "piped in\n" });
    expect(r.stdout).toBe("piped in\n");
  });

  test("a missing command exits 126 (dockerd's code for any exec that could not start) with Docker's message", async () => {
    const r = await d.cli(["exec", "box", "nosuch"]);
    expect(r.code).toBe(126);
    expect(r.stderr).toContain('exec: "nosuch": executable file not found in $PATH');
    // With a terminal the program is started by stage 1: the same code.
    const t = await d.cli(["exec", "-t", "box", "nosuch"]);
    expect(t.code).toBe(126);
  });

  test("exec into a stopped container is refused", async () => {
    await d.cli(["create", "--name", "stopped", "busybox", "true"]);
    const r = await d.cli(["exec", "stopped", "true"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not running");
  });

  test("-t gives a terminal from the container's own devpts", async () => {
    const r = await d.cli(["exec", "-t", "box", "tty"]);
    expect(r.stdout.trim()).toMatch(/^\/dev\/pts\/\d+$/);
    // All of a terminal's output arrives, however late the host hands it over after the exit.
    for (let i = 0; i < 3; i++) {
      const many = await d.cli(["exec", "-t", "box", "sh", "-c", "yes line | head -n 20000; echo end"]);
      expect(many.stdout.trimEnd().split("\r\n").slice(-2)).toEqual(["line", "end"]);
    }
    const run = await d.cli(["run", "--rm", "-t", "busybox", "sh", "-c", "test -t 0 && test -t 1 && echo tty"]);
    expect(run.stdout.trim()).toBe("tty");
  });

  test("programs start with no signal ignored, as under runc (Bun ignores SIGPIPE; execve keeps that)", async () => {
    for (const args of [["run", "--rm", "busybox"], ["exec", "box"], ["exec", "-t", "box"]]) {
      const r = await d.cli([...args, "grep", "SigIgn", "/proc/self/status"]);
      expect(r.stdout.trim()).toBe("SigIgn:\t0000000000000000");
    }
    // With SIGPIPE ignored, `yes` never learns that `head` is gone.
    const r = await d.cli(["run", "--rm", "busybox", "sh", "-c", "yes | head -n 2; echo done"], { timeoutMs: 20000 });
    expect([r.stdout, r.code]).toEqual(["y\ny\ndone\n", 0]);
  });

  test("the docker CLI's exec, with and without -t", async () => {
    const docker = "/usr/local/bin/docker";
    if (!existsSync(docker)) {
      if (process.env.CI === "true") throw new Error("the docker CLI is not installed");
      return;
    }
    const env = { ...process.env, DOCKER_HOST: d.host };
    const plain = Bun.spawnSync([docker, "exec", "box", "echo", "via-docker"], { env });
    expect(plain.stdout.toString()).toBe("via-docker\n");
    const tty = Bun.spawnSync([docker, "exec", "-t", "box", "tty"], { env });
    expect(tty.stdout.toString().trim()).toMatch(/^\/dev\/pts\/\d+$/);
    const code = Bun.spawnSync([docker, "exec", "box", "sh", "-c", "exit 9"], { env });
    expect(code.exitCode).toBe(9);
  });

  test("top lists the container's processes with ps -ef columns", async () => {
    const r = await d.cli(["top", "box"]);
    expect(r.stdout).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/m);
    expect(r.stdout).toMatch(/^root\s+\d+\s+\d+\s+0\s+\S+\s+\?\s+\S+\s+sleep 3600$/m);
  });

  test("diff reports additions, changes and deletions", async () => {
    await d.cli(["exec", "box", "sh", "-c", "echo x > /tmp/newfile; rm /bin/true"]);
    const lines = (await d.cli(["diff", "box"])).stdout.trim().split("\n");
    expect(lines).toContain("A /tmp/newfile");
    expect(lines).toContain("D /bin/true");
    expect(lines).toContain("C /bin");
    expect(lines.some((l) => l.includes("/etc/hostname"))).toBe(false);
    // /etc holds only the runtime's mount points so far: not a change, as in Docker (its init layer has them).
    expect(lines.some((l) => /^[AC] \/etc$/.test(l))).toBe(false);
    await d.cli(["exec", "box", "sh", "-c", "echo 1 > /etc/extra"]);
    const after = (await d.cli(["diff", "box"])).stdout.trim().split("\n");
    expect(after).toContain("A /etc/extra");
    expect(after.some((l) => /^[AC] \/etc$/.test(l))).toBe(true);
    // An image without /etc: the runtime makes one for its mount points, and that is no change either.
    const root = `${d.dir}/no-etc/rootfs`;
    Bun.spawnSync(["mkdir", "-p", `${root}/bin`]);
    Bun.spawnSync(["cp", "/bin/busybox", `${root}/bin/busybox`]);
    Bun.spawnSync(["ln", "-s", "busybox", `${root}/bin/sleep`]);
    Bun.spawnSync(["tar", "-C", root, "-cf", `${d.dir}/no-etc.tar`, "."]);
    expect((await d.cli(["import", `${d.dir}/no-etc.tar`, "no-etc"])).code).toBe(0);
    const bare = (await d.cli(["run", "-d", "no-etc", "/bin/sleep", "60"])).stdout.trim();
    expect((await d.cli(["exec", bare, "/bin/busybox", "ls", "/etc/hostname"])).stdout).toBe("/etc/hostname\n");
    expect((await d.cli(["diff", bare])).stdout).toBe("");
    await d.cli(["rm", "-f", bare]);
  });

  /** The PID of the one process whose command line is `argv`, once it runs. */
  async function processRunning(argv: string[]): Promise<number> {
    const want = argv.join("\u0000") + "\u0000";
    for (const end = Date.now() + 15_000; Date.now() < end; await Bun.sleep(20)) {
      const pid = readdirSync("/proc").find((e) => {
        try {
          return /^\d+$/.test(e) && readFileSync(`/proc/${e}/cmdline`, "utf8") === want;
        } catch {
          return false;
        }
      });
      if (pid) return Number(pid);
    }
    throw new Error(`${argv.join(" ")} never ran`);
  }
  const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1]);
  const running = (pid: number) => {
    try {
      return !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, "utf8"));
    } catch {
      return false;
    }
  };

  test("an exec without a terminal is the daemon's own child: no exec stage runs beside it", async () => {
    expect((await d.cli(["exec", "-d", "box", "sleep", "76"])).code).toBe(0);
    const pid = await processRunning(["sleep", "76"]);
    expect(parentOf(pid)).toBe(d.pid);
    process.kill(pid, "SIGKILL");
  });

  test("a detached exec with a terminal dies with the exec stage that holds it (nobody would relay or record it)", async () => {
    expect((await d.cli(["exec", "-d", "-t", "box", "sleep", "77"])).code).toBe(0);
    const pid = await processRunning(["sleep", "77"]);
    const parent = parentOf(pid);
    expect(readFileSync(`/proc/${parent}/cmdline`, "utf8")).toContain("__exec");
    expect(running(pid)).toBe(true);
    process.kill(parent, "SIGKILL");
    for (const end = Date.now() + 15_000; Date.now() < end && running(pid); ) await Bun.sleep(20);
    expect(running(pid)).toBe(false);
  });

  test("pause freezes the container, unpause thaws it", async () => {
    expect((await d.cli(["pause", "box"])).code).toBe(0);
    expect((await d.cli(["ps", "--format", "{{.Names}} {{.State}}"])).stdout).toContain("box paused");
    expect((await d.cli(["exec", "box", "true"])).stderr).toContain("is paused");
    expect((await d.cli(["unpause", "box"])).code).toBe(0);
    expect((await d.cli(["exec", "box", "echo", "awake"])).stdout).toBe("awake\n");
  });

  test("cp both ways, into dirs and to new names; a symlink in the container cannot lead out", async () => {
    const host = `${d.dir}/cp`;
    await Bun.write(`${host}/in.txt`, "from host\n");
    expect((await d.cli(["cp", `${host}/in.txt`, "box:/tmp/"])).code).toBe(0);
    expect((await d.cli(["exec", "box", "cat", "/tmp/in.txt"])).stdout).toBe("from host\n");
    expect((await d.cli(["cp", `${host}/in.txt`, "box:/tmp/renamed.txt"])).code).toBe(0);
    expect((await d.cli(["exec", "box", "cat", "/tmp/renamed.txt"])).stdout).toBe("from host\n");
    await d.cli(["exec", "box", "sh", "-c", "mkdir -p /out/sub && echo deep > /out/sub/f && ln -s / /out/escape"]);
    expect((await d.cli(["cp", "box:/out", `${host}/`])).code).toBe(0);
    expect(await Bun.file(`${host}/out/sub/f`).text()).toBe("deep\n");
    expect((await d.cli(["cp", "box:/out/sub/f", `${host}/copied`])).code).toBe(0);
    expect(await Bun.file(`${host}/copied`).text()).toBe("deep\n");
    // Through the container's `escape -> /` link the write lands in the container's own /tmp.
    expect((await d.cli(["cp", `${host}/in.txt`, "box:/out/escape/tmp/via-link.txt"])).code).toBe(0);
    expect((await d.cli(["exec", "box", "cat", "/tmp/via-link.txt"])).stdout).toBe("from host\n");
    expect(await Bun.file("/tmp/via-link.txt").exists()).toBe(false);
    const missing = await d.cli(["cp", "box:/no/such", `${host}/x`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Could not find the file /no/such in container");
    // Every read view (HEAD stats, GET tars) is unmounted once its answer is sent.
    const views = readFileSync("/proc/self/mounts", "utf8").split("\n").filter((l) => l.includes(d.dir) && l.includes("/view-"));
    expect(views).toEqual([]);
  });

  test("export writes the container's filesystem without /proc contents", async () => {
    const r = Bun.spawnSync([...(await import("../fixtures/daemon.ts")).berthCmd, "-H", d.host, "export", "box"]);
    expect(r.exitCode).toBe(0);
    const list = Bun.spawnSync(["tar", "-t"], { stdin: r.stdout }).stdout.toString().split("\n");
    expect(list).toContain("bin/busybox");
    expect(list).toContain("tmp/in.txt");
    expect(list.some((p) => p.startsWith("proc/1"))).toBe(false);
  });

  test("export and GET archive of a 1 GiB file stream: while the client does not read, the copy waits, and the daemon holds at most 64 MiB", async () => {
    const id = (await d.cli(["run", "-d", "busybox", "sh", "-c", "dd if=/dev/zero of=/big bs=1M seek=1023 count=1 2>/dev/null; sleep 120"])).stdout.trim();
    const status = (pid: number, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
    const written = (pid: number) => Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"))![1]);
    // The daemon's chrooted copy helper (berth __archive) for this request.
    const helpers = () => readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === String(d.pid) && readFileSync(`/proc/${p}/cmdline`, "utf8").includes("__archive\0get");
      } catch {
        return false; // gone meanwhile
      }
    });
    // The file is whole once its size is (dd seeks first, then writes the last MiB).
    for (let i = 0; i < 200 && (await d.cli(["exec", id, "ls", "-l", "/big"])).stdout.split(/\s+/)[4] !== String(1 << 30); i++) await Bun.sleep(50);
    for (const path of [`/containers/${id}/export`, `/containers/${id}/archive?path=/big`]) {
      const before = status(d.pid, "VmRSS") * 1024;
      const res = await fetch(`http://localhost/v1.44${path}`, { unix: d.socket } as RequestInit);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      expect((await reader.read()).done).toBe(false);
      // Now the client reads nothing: the helper writes until the pipes and sockets between are full, then waits.
      let helper: number | undefined;
      for (let i = 0; i < 200 && !(helper = helpers()[0]); i++) await Bun.sleep(50);
      expect(helper).toBeDefined();
      let last = -1;
      for (let still = 0, i = 0; still < 10 && i < 600; i++, await Bun.sleep(100)) {
        const now = written(helper!);
        still = now === last ? still + 1 : 0;
        last = now;
      }
      expect(last).toBeLessThan(64 << 20);
      expect(status(d.pid, "VmRSS") * 1024 - before).toBeLessThan(64 << 20);
      // A client that goes away ends the copy.
      await reader.cancel();
      for (let i = 0; i < 200 && helpers().includes(helper!); i++) await Bun.sleep(50);
      expect(helpers()).not.toContain(helper);
    }
    await d.cli(["rm", "-f", id]);
  });

  test("PUT archive of a 160 MiB file streams it into the container: the daemon holds at most 64 MiB meanwhile", async () => {
    const id = (await d.cli(["run", "-d", "busybox", "sleep", "120"])).stdout.trim();
    const rss = () => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${d.pid}/status`, "utf8"))![1]) * 1024;
    const size = 160 << 20;
    const mib = new Uint8Array(1 << 20).fill(7);
    async function* body() {
      for (let i = 0; i < size >> 20; i++) yield mib;
    }
    const tar = tarStream([{ entry: { path: "big", type: "file", mode: 0o644, uid: 0, gid: 0, size, mtime: 0 }, body: body() }]);
    const before = rss();
    let peak = before;
    let uploading = true;
    // Sampled while the body flows: a daemon that gathered the body before extracting would pass 160 MiB.
    const sampler = (async () => {
      while (uploading) {
        peak = Math.max(peak, rss());
        await Bun.sleep(20);
      }
    })();
    const res = await fetch(`http://localhost/v1.44/containers/${id}/archive?path=/tmp`, {
      method: "PUT", body: tar, headers: { "Content-Type": "application/x-tar" }, unix: d.socket,
    } as RequestInit);
    uploading = false;
    await sampler;
    expect(res.status).toBe(200);
    expect((await d.cli(["exec", id, "wc", "-c", "/tmp/big"])).stdout.trim()).toBe(`${size} /tmp/big`);
    expect(peak - before).toBeLessThan(64 << 20);
    await d.cli(["rm", "-f", id]);
  });

  test("stats reads the container's cgroup: memory limit and pids", async () => {
    const id = (await d.cli(["run", "-d", "-m", "64m", "busybox", "sleep", "30"])).stdout.trim();
    const r = await d.cli(["stats", "--no-stream", "--format", "{{.MemUsage}} {{.PIDs}}", id]);
    expect(r.stdout.trim()).toMatch(/^[\d.]+[KMG]?i?B \/ 64MiB 1$/);
    await d.cli(["rm", "-f", id]);
  });

  test("stats carries what dockerd's does: memory.stat's counters, user and kernel CPU, throttling, the pids limit", async () => {
    // A busy loop held to a tenth of a CPU is throttled within a few periods.
    const id = (await d.cli(["run", "-d", "--cpus", "0.1", "--pids-limit", "9", "busybox", "sh", "-c", "while :; do :; done"])).stdout.trim();
    await Bun.sleep(700);
    const res = await fetch(`http://localhost/containers/${id}/stats?stream=0`, { unix: d.socket } as RequestInit);
    const s = (await res.json()) as any;
    const cacheKey = cgroupVersion() === "2" ? "inactive_file" : "total_inactive_file";
    expect(typeof s.memory_stats.stats[cacheKey]).toBe("number");
    expect(s.cpu_stats.cpu_usage.usage_in_usermode).toBeGreaterThan(0);
    expect(s.cpu_stats.throttling_data.throttled_periods).toBeGreaterThan(0);
    expect(s.pids_stats).toEqual({ current: 1, limit: 9 });
    await d.cli(["rm", "-f", id]);
  });

  test("attach: piped stdin reaches the program, output comes back, the exit code is returned", async () => {
    // Several rounds: the output can end before the daemon has recorded the exit, and the
    // exit code must still be the program's (it came back 0 in about 4 of 10 before the CLI waited).
    for (let i = 0; i < 8; i++) {
      await d.cli(["run", "-d", "-i", "--name", `att${i}`, "busybox", "sh"]);
      const r = await d.cli(["attach", `att${i}`], { stdin: `echo attached\nexit ${i + 1}\n` });
      expect([r.stdout, r.code]).toEqual(["attached\n", i + 1]);
      await d.cli(["rm", `att${i}`]);
    }
    await d.cli(["run", "-d", "-i", "--name", "att", "busybox", "sh"]);
    const runI = await d.cli(["run", "--rm", "-i", "busybox", "sh"], { stdin: "echo from-stdin; exit 6\n" });
    expect([runI.stdout, runI.code]).toEqual(["from-stdin\n", 6]);
  });

  test("ctrl-p ctrl-q detaches and leaves the container running", async () => {
    await d.cli(["run", "-d", "-i", "--name", "det", "busybox", "sh"]);
    const r = await d.cli(["attach", "det"], { stdin: "echo before\n\x10\x11" });
    expect(r.code).toBe(0);
    expect((await d.cli(["inspect", "-f", "{{.State.Running}}", "det"])).stdout.trim()).toBe("true");
    await d.cli(["rm", "-f", "det", "att"]);
  });

  test("--detach-keys: a custom sequence detaches run, attach and exec; the default then passes through; bad ones are refused", async () => {
    // run -i with ctrl-a,x: the CLI returns 0 at once and the container runs on.
    const run = await d.cli(["run", "-i", "--name", "dk", "--detach-keys", "ctrl-a,x", "busybox", "sh"], { stdin: "echo hi >/tmp/typed\n\x01x" });
    expect(run.code).toBe(0);
    expect((await d.cli(["inspect", "-f", "{{.State.Running}}", "dk"])).stdout.trim()).toBe("true");
    // The shell runs what was typed on its own time, maybe after the CLI returned: wait for its file.
    const eventually = async (args: string[], done: (out: string) => boolean) => {
      let out = "";
      for (const end = Date.now() + 20_000; Date.now() < end; await Bun.sleep(50)) if (done((out = (await d.cli(["exec", "dk", ...args])).stdout))) break;
      return out;
    };
    expect(await eventually(["cat", "/tmp/typed"], (o) => o === "hi\n")).toBe("hi\n");
    // With a custom sequence, ctrl-p ctrl-q is ordinary input and the shell reads on: the sequence ends it.
    const att = await d.cli(["attach", "--detach-keys", "ctrl-a,x", "dk"], { stdin: "echo \x10\x11 >/tmp/second\n\x01x" });
    expect(att.code).toBe(0);
    expect((await eventually(["wc", "-c", "/tmp/second"], (o) => o.startsWith("3 "))).trim()).toStartWith("3 ");
    // exec -i: the program stays, the client goes.
    const ex = await d.cli(["exec", "-i", "--detach-keys", "ctrl-x", "dk", "sh"], { stdin: "\x18" });
    expect(ex.code).toBe(0);
    const bad = await d.cli(["attach", "--detach-keys", "ctrl-foo", "dk"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("Invalid detach keys (ctrl-foo) provided");
    const api = await fetch(`http://localhost/v1.44/containers/dk/attach?stream=1&stdin=1&detachKeys=ctrl-foo`, { method: "POST", unix: d.socket } as RequestInit);
    expect(api.status).toBe(400);
    expect(((await api.json()) as any).message).toBe("Invalid detach keys (ctrl-foo) provided");
    await d.cli(["rm", "-f", "dk"]);
  });

  test("update changes a running container's limits in its cgroup", async () => {
    const id = (await d.cli(["run", "-d", "-m", "64m", "busybox", "sleep", "30"])).stdout.trim();
    expect((await d.cli(["update", "-m", "96m", "--pids-limit", "30", id])).code).toBe(0);
    const r = await d.cli(["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}", id]);
    expect(r.stdout.trim()).toBe(`${96 * 1024 * 1024} 30`);
    const cg = (await d.cli(["stats", "--no-stream", "--format", "{{.MemUsage}}", id])).stdout;
    expect(cg).toContain("/ 96MiB");
    const bad = await d.cli(["update", "-m", "1k", id]);
    expect(bad.stderr).toContain("Minimum memory limit allowed is 6MB");
    await d.cli(["rm", "-f", id]);
  });

  test("exec sessions are kept in the store: inspect answers after a daemon restart; they go with the container", async () => {
    const api = (path: string, init: RequestInit = {}) => fetch(`http://localhost/v1.44${path}`, { unix: d.socket, ...init } as RequestInit);
    const json = { "Content-Type": "application/json" };
    const since = (Date.now() / 1000 - 1).toFixed(3);
    const id = (await d.cli(["run", "-d", "--name", "keeps", "busybox", "sleep", "60"])).stdout.trim();
    const { Id: done } = await (await api(`/containers/${id}/exec`, { method: "POST", headers: json, body: JSON.stringify({ Cmd: ["sh", "-c", "exit 7"] }) })).json() as any;
    await (await api(`/exec/${done}/start`, { method: "POST", headers: json, body: JSON.stringify({ Detach: false }) })).arrayBuffer();
    const { Id: never } = await (await api(`/containers/${id}/exec`, { method: "POST", headers: json, body: JSON.stringify({ Cmd: ["true"] }) })).json() as any;
    d.kill();
    await d.restart();
    expect(await (await api(`/exec/${done}/json`)).json()).toMatchObject({ ID: done, Running: false, ExitCode: 7, ContainerID: id });
    expect(await (await api(`/exec/${never}/json`)).json()).toMatchObject({ Running: false, ExitCode: null });
    // The events are kept too: the restarted daemon replays those of the one before.
    const until = (Date.now() / 1000).toFixed(3);
    const events = await d.cli(["events", "--since", since, "--until", until, "--filter", `container=${id}`, "--format", "{{.Action}} {{.Actor.Attributes.execID}}"]);
    expect(events.stdout.split("\n").filter(Boolean)).toEqual([
      "create <no value>", "start <no value>", `exec_create: sh -c exit 7 ${done}`, `exec_start: sh -c exit 7 ${done}`, `exec_die ${done}`, `exec_create: true ${never}`,
    ]);
    expect((await d.cli(["rm", "-f", id])).code).toBe(0);
    expect((await api(`/exec/${done}/json`)).status).toBe(404);
  });

  test("exec resize sets the session's terminal size; bad sizes and unknown sessions are refused", async () => {
    const api = (path: string, init: RequestInit = {}) => fetch(`http://localhost/v1.44${path}`, { unix: d.socket, ...init } as RequestInit);
    const json = { "Content-Type": "application/json" };
    const { Id } = await (await api("/containers/box/exec", {
      method: "POST", headers: json, body: JSON.stringify({ Cmd: ["sh", "-c", "i=0; while [ $i -lt 200 ]; do s=$(stty size 2>/dev/null); case $s in [1-9]*) break;; esac; sleep 0.05; i=$((i+1)); done; echo $s"], Tty: true, AttachStdout: true }),
    })).json() as any;
    const started = api(`/exec/${Id}/start`, { method: "POST", headers: json, body: JSON.stringify({ Detach: false, Tty: true }) });
    // Sent at once, as the docker CLI does: the daemon waits for the session to be running. The program
    // waits (10 s at most) for its terminal to have a size (busybox's stty prints an error, and exits 0, on 0×0).
    expect((await api(`/exec/${Id}/resize?h=33&w=111`, { method: "POST" })).status).toBe(200);
    expect((await (await started).text()).trim()).toBe("33 111");
    expect((await api(`/exec/${Id}/resize?h=x&w=1`, { method: "POST" })).status).toBe(400);
    expect((await api(`/exec/${Id}/resize?h=10&w=10`, { method: "POST" })).status).toBe(409);
    const unknown = await api(`/exec/${"0".repeat(64)}/resize?h=1&w=1`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).message).toBe(`No such exec instance: ${"0".repeat(64)}`);
  });

  test("run -it and exec -it from a terminal start with its size (ConsoleSize), before any resize", async () => {
    // script(1) gives the CLI a terminal of 30 rows and 120 columns; `stty size` inside runs at once.
    const inTerminal = async (args: string[]) => {
      const cmd = [...berthCmd, "-H", d.host, ...args].map((a) => `'${a}'`).join(" ");
      const p = Bun.spawn(["script", "-qec", `stty rows 30 cols 120; ${cmd}`, "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
      const out = await new Response(p.stdout).text();
      return { code: await p.exited, out: out.replace(/\r/g, "") };
    };
    expect(await inTerminal(["run", "-it", "--rm", "busybox", "stty", "size"])).toEqual({ code: 0, out: "30 120\n" });
    expect(await inTerminal(["exec", "-it", "box", "stty", "size"])).toEqual({ code: 0, out: "30 120\n" });
    // Through the API, as the docker CLI sends it (inspect shows it as given).
    const api = (path: string, init: RequestInit = {}) => fetch(`http://localhost/v1.44${path}`, { unix: d.socket, ...init } as RequestInit);
    const json = { "Content-Type": "application/json" };
    const { Id } = await (await api("/containers/create", {
      method: "POST", headers: json, body: JSON.stringify({ Image: "busybox", Cmd: ["stty", "size"], Tty: true, HostConfig: { ConsoleSize: [25, 90] } }),
    })).json() as any;
    expect((await api(`/containers/${Id}/start`, { method: "POST" })).status).toBe(204);
    expect(((await (await api(`/containers/${Id}/wait`, { method: "POST" })).json()) as any).StatusCode).toBe(0);
    expect((await d.cli(["logs", Id])).stdout.replace(/\r/g, "")).toBe("25 90\n");
    expect((await d.cli(["inspect", "-f", "{{json .HostConfig.ConsoleSize}}", Id])).stdout).toBe("[25,90]\n");
    await d.cli(["rm", Id]);
  });
});
