// A running container: it outlives whoever started it, answers signals,
// stop, attach, exec, pause, stats and update, and leaves nothing behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Fixture, hostMountsUnder, skipUnlessRunnable, until } from "./helpers.ts";
import type { ExecConfig, ExecProcess, RuntimeSpec } from "../../src/runtime/index.ts";
import { readState } from "../../src/runtime/shim/state.ts";

const ok = skipUnlessRunnable();
let fx: Fixture;

beforeAll(() => {
  if (ok) fx = new Fixture();
});
afterAll(() => fx?.cleanup());

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cgroupDirs(id: string): string[] {
  const v1 = ["memory", "pids", "cpu", "freezer", "cpuset"].map((c) => `/sys/fs/cgroup/${c}/berth/${id}`);
  return [...v1, `/sys/fs/cgroup/berth/${id}`].filter(existsSync);
}

/** Reads Docker stream frames from an attach socket until it closes. */
function collectFrames(sock: import("node:net").Socket): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const out = { stdout: "", stderr: "" };
    sock.on("data", (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      while (buf.length >= 8 && buf.length >= 8 + buf.readUInt32BE(4)) {
        const len = buf.readUInt32BE(4);
        out[buf[0] === 2 ? "stderr" : "stdout"] += buf.subarray(8, 8 + len).toString();
        buf = buf.subarray(8 + len);
      }
    });
    sock.on("end", () => resolve(out));
    sock.on("close", () => resolve(out));
  });
}

/** The exec config the daemon gives a session in the container of `dir` (its init is `pid`). */
function execConfig(spec: RuntimeSpec, pid: number, args: string[], extra: Partial<ExecConfig> = {}): ExecConfig {
  return {
    pid, args, env: spec.env, user: spec.user, cwd: spec.cwd, tty: false, privileged: spec.privileged,
    capabilities: spec.capabilities, noNewPrivileges: spec.noNewPrivileges, seccomp: spec.seccomp, cgroupPath: spec.cgroupPath, ...extra,
  };
}

/** Runs an exec through the runtime's stage 1, as the daemon does: its output and exit code. */
function runExec(dir: string, id: string, cfg: ExecConfig): { exec: ExecProcess; done: Promise<{ stdout: string; stderr: string; code: number | null }> } {
  const exec = fx.runtime.execs.start(cfg, join(dir, `exec-${id}.json`));
  const out = { stdout: "", stderr: "" };
  exec.stdin?.end();
  exec.stdout?.on("data", (b: Buffer) => (out.stdout += b.toString()));
  exec.stderr?.on("data", (b: Buffer) => (out.stderr += b.toString()));
  // As the daemon does: a program that never ran gets the runtime's reason on its stderr.
  const done = exec.exited.then(({ exitCode, failure }) => ({
    stdout: out.stdout, stderr: out.stderr + (failure ? `OCI runtime exec failed: ${failure.message}\n` : ""), code: exitCode,
  }));
  return { exec, done };
}

describe.skipIf(!ok)("lifecycle", () => {
  test("the container keeps running when the process that started it dies; a runtime that did not start it stops it", async () => {
    // PID 1 has no default signal actions: it must handle SIGTERM itself.
    const { dir, spec } = fx.container(["sh", "-c", "trap 'exit 143' TERM; while :; do sleep 0.05; done"]);
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec));
    const starter = Bun.spawn([process.execPath, join(import.meta.dir, "start-detached.ts"), dir, fx.execRoot], { stdout: "pipe", stderr: "inherit" });
    const reader = (starter.stdout as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("started\n");
    starter.kill("SIGKILL");
    await starter.exited;
    await Bun.sleep(50);
    const s = readState(dir)!;
    expect(s.status).toBe("running");
    expect(alive(s.shimPid)).toBe(true);
    expect(alive(s.pid)).toBe(true);
    // Another runtime finds it through the directory alone (the daemon's adoption after a restart).
    expect(fx.runtime.status(dir)).toMatchObject({ running: true, pid: s.pid });
    expect((await fx.runtime.stop(dir, "SIGTERM", 5)).exitCode).toBe(143);
    expect(readState(dir)).toMatchObject({ status: "exited", exitCode: 143, oomKilled: false });
    await until(() => !alive(s.shimPid));
  });

  test("stop escalates to SIGKILL after the timeout; signal", async () => {
    const { dir, spec } = fx.container(["sh", "-c", "trap '' TERM; echo ready; while true; do sleep 1; done"]);
    await fx.runtime.start(dir, spec);
    const t = Date.now();
    expect((await fx.runtime.stop(dir, "SIGTERM", 0.3)).exitCode).toBe(137);
    expect(Date.now() - t).toBeLessThan(3000);

    const b = fx.container(["sleep", "30"]);
    await fx.runtime.start(b.dir, b.spec);
    fx.runtime.signal(b.dir, "KILL");
    expect((await fx.runtime.waitExit(b.dir)).exitCode).toBe(137);
  });

  test("a shim killed before its report: its run is exited (137) at once for the runtime that started it", async () => {
    const { dir, spec } = fx.container(["sleep", "30"]);
    await fx.runtime.start(dir, spec);
    const s = readState(dir)!;
    process.kill(s.shimPid, "SIGKILL");
    process.kill(s.pid, "SIGKILL");
    const exit = await fx.runtime.waitExit(dir);
    expect(exit).toMatchObject({ exitCode: 137, error: "container shim exited unexpectedly" });
  });

  test("attach: live output as stream frames, stdin in", async () => {
    const { dir, spec } = fx.container(["sh", "-c", "read line; echo got $line; echo bye >&2"], { openStdin: true, stdinOnce: true });
    let frames!: Promise<{ stdout: string; stderr: string }>;
    await fx.runtime.start(dir, spec, [(sock) => {
      sock.write(JSON.stringify({ stdin: true, stdout: true, stderr: true }) + "\n");
      sock.end("hello\n");
      frames = collectFrames(sock);
    }]);
    expect(await frames).toEqual({ stdout: "got hello\n", stderr: "bye\n" });
    expect((await fx.runtime.waitExit(dir)).exitCode).toBe(0);
  });

  test("tty: the program gets a terminal of the container's devpts", async () => {
    const { dir, spec } = fx.container(["sh", "-c", "tty; stty size"], { tty: true });
    await fx.runtime.start(dir, spec);
    expect((await fx.runtime.waitExit(dir)).exitCode).toBe(0);
    const log = await Bun.file(spec.logPath).text();
    expect(log).toContain('"log":"/dev/pts/0\\r\\n"');
  });

  test("exec joins the running container's namespaces", async () => {
    const { dir, spec } = fx.container(["sleep", "30"], { hostname: "exechost" });
    const { pid } = await fx.runtime.start(dir, spec);
    const r = await runExec(dir, "e1", execConfig(spec, pid, ["sh", "-c", "ps -o pid,args; hostname; echo $$; exit 4"])).done;
    const out = r.stdout.split("\n");
    expect(out.find((l) => /^\s*1\s/.test(l))).toContain("sleep 30");
    expect(out).toContain("exechost");
    expect(Number(out.at(-2))).toBeGreaterThan(1);
    expect(r.code).toBe(4);

    const bad = await runExec(dir, "e2", execConfig(spec, pid, ["nope"])).done;
    expect(bad.code).toBe(126); // dockerd's code for an exec that could not start
    expect(bad.stderr).toBe('OCI runtime exec failed: exec: "nope": executable file not found in $PATH\n');

    // `exec echo` sees the same PID 1 and writes to its own stdout, not the container's log.
    const echoed = await runExec(dir, "e3", execConfig(spec, pid, ["sh", "-c", "echo hi from exec; cat /proc/1/cmdline | tr '\\0' ' '"])).done;
    expect(echoed).toEqual({ stdout: "hi from exec\nsleep 30 ", stderr: "", code: 0 });
    expect((await fx.runtime.stop(dir, "KILL", 1)).exitCode).toBe(137);
    expect(await Bun.file(spec.logPath).exists()).toBe(true);
    expect(await Bun.file(spec.logPath).text()).toBe("");
  });

  test("an exec, with a terminal or without, has the container's namespaces, cgroup and capability bounds and no host descriptor", async () => {
    const { dir, spec } = fx.container(["sleep", "30"]);
    const { pid: init } = await fx.runtime.start(dir, spec);
    const nsOf = (pid: number) => ["ipc", "uts", "net", "cgroup", "pid", "mnt"].map((ns) => readlinkSync(`/proc/${pid}/ns/${ns}`));
    const status = (pid: number, key: string) => new RegExp(`^${key}:\\s*(.*)$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    const cmdline = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        return ""; // gone meanwhile
      }
    };
    for (const [id, cfg] of [
      ["root", { tty: false }],
      ["tty", { tty: true }],
      ["nobody", { tty: false, user: "nobody", noNewPrivileges: true }],
    ] as const) {
      const { exec, done } = runExec(dir, id, execConfig(spec, init, ["sleep", "31"], cfg));
      // The program is the process in the container's cgroup beside its init, once stage 2 has become it.
      let pid = 0;
      await until(() => !!(pid = fx.runtime.pids(dir).find((p) => p !== init && cmdline(p) === "sleep\u000031\u0000") ?? 0));
      try {
        expect(nsOf(pid)).toEqual(nsOf(init));
        expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toBe(readFileSync(`/proc/${init}/cgroup`, "utf8"));
        expect(status(pid, "CapBnd")).toBe(status(init, "CapBnd"));
        expect(status(pid, "CapEff")).toBe(id === "nobody" ? "0000000000000000" : status(init, "CapEff"));
        expect(status(pid, "Uid")?.split(/\s+/)[0]).toBe(id === "nobody" ? "65534" : "0");
        expect(status(pid, "NoNewPrivs")).toBe(id === "nobody" ? "1" : "0");
        expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(["0", "1", "2"]);
        // Stage 1, which spawned it, stays in the daemon's namespaces and cgroups, but for a mount
        // namespace of its own in which the engine's executable is read-only (CVE-2019-5736).
        expect(nsOf(exec.pid).slice(0, 5)).toEqual(nsOf(process.pid).slice(0, 5));
        expect(nsOf(exec.pid)[5]).not.toBe(nsOf(process.pid)[5]);
        expect(nsOf(exec.pid)[5]).not.toBe(nsOf(init)[5]);
        expect(readFileSync(`/proc/${exec.pid}/cgroup`, "utf8")).toBe(readFileSync(`/proc/${process.pid}/cgroup`, "utf8"));
      } finally {
        process.kill(pid, "SIGKILL");
      }
      expect((await done).code).toBe(137);
    }
    expect((await fx.runtime.stop(dir, "KILL", 1)).exitCode).toBe(137);
  });

  test("pause, unpause, stats and update", async () => {
    const { dir, spec } = fx.container(["sleep", "30"], { resources: { memory: 64 << 20, pidsLimit: 50 } });
    await fx.runtime.start(dir, spec);
    const st = fx.runtime.stats(dir);
    expect(st.memoryLimit).toBe(64 << 20);
    expect(st.memoryUsage).toBeGreaterThan(0);
    expect(st.pids).toBe(1);
    expect(st.pidsLimit).toBe(50);
    expect(fx.runtime.pids(dir)).toEqual([readState(dir)!.pid]);
    fx.runtime.updateResources(dir, { memory: 96 << 20, pidsLimit: 40 });
    expect(fx.runtime.stats(dir)).toMatchObject({ memoryLimit: 96 << 20, pidsLimit: 40 });
    fx.runtime.pause(dir);
    expect(fx.runtime.isPaused(dir)).toBe(true);
    fx.runtime.unpause(dir);
    expect(fx.runtime.isPaused(dir)).toBe(false);
    // A paused container still stops (it is thawed for the signals).
    fx.runtime.pause(dir);
    expect((await fx.runtime.stop(dir, "SIGTERM", 0.2)).exitCode).toBe(137);
  });

  test("a memory hog under 32m is OOM-killed", async () => {
    const r = await fx.run(["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"], { resources: { memory: 32 << 20 } });
    expect(r.state.exitCode).toBe(137);
    expect(r.state.oomKilled).toBe(true);
    expect(r.stdout).not.toContain("survived");
  });

  test("a fork bomb is held to the pids limit", async () => {
    const bomb = "b() { b | b & }; b; sleep 0.3; ps -o pid | wc -l";
    const r = await fx.run(["sh", "-c", bomb], { resources: { pidsLimit: 20 } });
    expect(r.stderr).toMatch(/fork|Resource temporarily unavailable/i);
    const count = Number(r.stdout.trim().split("\n").at(-1));
    expect(count).toBeLessThanOrEqual(21); // ps's header + ≤ 20 processes
  });

  test("nothing is left behind: no mounts, cgroups, processes or sockets", async () => {
    const r = await fx.run(["sh", "-c", "sleep 30 & sleep 30 & echo started"], { resources: { memory: 64 << 20 } });
    expect(r.stdout).toBe("started\n");
    expect(cgroupDirs(r.spec.id)).toEqual([]);
    expect(hostMountsUnder(fx.base)).toEqual([]);
    expect(existsSync(join(r.dir, "attach.sock"))).toBe(false);
    await until(() => !alive(r.state.shimPid));
    const leftovers = Bun.spawnSync(["pgrep", "-f", r.dir]).stdout.toString().trim();
    expect(leftovers).toBe("");
  });
});
