// A running container: it outlives whoever started it, answers signals,
// stop, attach, exec, pause and stats, and leaves nothing behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { Fixture, hostMountsUnder, skipUnlessRunnable, berthCommand, until } from "./helpers.ts";
import * as rt from "../../src/runtime/index.ts";

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

describe.skipIf(!ok)("lifecycle", () => {
  test("the container keeps running when the process that started it dies", async () => {
    // PID 1 has no default signal actions: it must handle SIGTERM itself.
    const { dir, spec } = fx.container(["sh", "-c", "trap 'exit 143' TERM; while :; do sleep 0.05; done"]);
    rt.writeSpec(dir, spec);
    const starter = Bun.spawn([process.execPath, join(import.meta.dir, "start-detached.ts"), dir], { stdout: "pipe", stderr: "inherit" });
    const reader = (starter.stdout as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("started\n");
    starter.kill("SIGKILL");
    await starter.exited;
    await Bun.sleep(50);
    const s = rt.readState(dir)!;
    expect(s.status).toBe("running");
    expect(alive(s.shimPid)).toBe(true);
    expect(alive(s.pid)).toBe(true);
    // A new client finds it through the directory alone.
    const code = await rt.stopContainer(dir, { timeoutSec: 5 });
    expect(code).toBe(143);
    expect(rt.readState(dir)).toMatchObject({ status: "exited", exitCode: 143, oomKilled: false });
    await until(() => !alive(s.shimPid));
  });

  test("stop escalates to SIGKILL after the timeout; signalContainer", async () => {
    const { dir, spec } = fx.container(["sh", "-c", "trap '' TERM; echo ready; while true; do sleep 1; done"]);
    await rt.startContainer(dir, { spec, command: berthCommand });
    const t = Date.now();
    expect(await rt.stopContainer(dir, { timeoutSec: 0.3 })).toBe(137);
    expect(Date.now() - t).toBeLessThan(3000);

    const b = fx.container(["sleep", "30"]);
    await rt.startContainer(b.dir, { spec: b.spec, command: berthCommand });
    rt.signalContainer(b.dir, "KILL");
    expect((await rt.waitContainer(b.dir)).exitCode).toBe(137);
  });

  test("attach: live output as stream frames, stdin in", async () => {
    const { dir, spec } = fx.container(["sh", "-c", "read line; echo got $line; echo bye >&2"], { openStdin: true, stdinOnce: true });
    let frames!: Promise<{ stdout: string; stderr: string }>;
    await rt.startContainer(dir, {
      spec,
      command: berthCommand,
      attachments: [(sock) => {
        sock.write(JSON.stringify({ stdin: true, stdout: true, stderr: true }) + "\n");
        sock.end("hello\n");
        frames = collectFrames(sock);
      }],
    });
    expect(await frames).toEqual({ stdout: "got hello\n", stderr: "bye\n" });
    expect((await rt.waitContainer(dir)).exitCode).toBe(0);
  });

  test("tty: the program gets a terminal of the container's devpts", async () => {
    const { dir, spec } = fx.container(["sh", "-c", "tty; stty size"], { tty: true });
    const r = await (async () => {
      await rt.startContainer(dir, { spec, command: berthCommand });
      return rt.waitContainer(dir);
    })();
    expect(r.exitCode).toBe(0);
    const log = await Bun.file(spec.logPath).text();
    expect(log).toContain('"log":"/dev/pts/0\\r\\n"');
  });

  test("exec joins the running container's namespaces", async () => {
    const { dir, spec } = fx.container(["sleep", "30"], { hostname: "exechost" });
    await rt.startContainer(dir, { spec, command: berthCommand });
    let frames!: Promise<{ stdout: string; stderr: string }>;
    const h = await rt.execInContainer(dir, "e1", { args: ["sh", "-c", "ps -o pid,args; hostname; echo $$; exit 4"] }, {
      command: berthCommand,
      attachments: [(sock) => {
        sock.write(JSON.stringify({ stdout: true, stderr: true }) + "\n");
        frames = collectFrames(sock);
      }],
    });
    const out = (await frames).stdout.split("\n");
    expect(out.find((l) => /^\s*1\s/.test(l))).toContain("sleep 30");
    expect(out).toContain("exechost");
    expect(Number(out.at(-2))).toBeGreaterThan(1);
    expect((await rt.waitExec(dir, "e1")).exitCode).toBe(4);
    expect(h.pid).toBeGreaterThan(0);

    const bad = await rt.execInContainer(dir, "e2", { args: ["nope"] }, { command: berthCommand }).catch((e) => e);
    expect(bad.exitCode).toBe(127);
    expect(bad.message).toBe('exec: "nope": executable file not found in $PATH');

    // `exec echo` sees the same PID 1 and writes to its own socket, not the container's log.
    let echoed!: Promise<{ stdout: string; stderr: string }>;
    await rt.execInContainer(dir, "e3", { args: ["sh", "-c", "echo hi from exec; cat /proc/1/cmdline | tr '\\0' ' '"] }, {
      command: berthCommand,
      attachments: [(sock) => {
        sock.write(JSON.stringify({ stdout: true }) + "\n");
        echoed = collectFrames(sock);
      }],
    });
    expect((await echoed).stdout).toBe("hi from exec\nsleep 30 ");
    expect((await rt.waitExec(dir, "e3")).exitCode).toBe(0);
    expect(await rt.stopContainer(dir, { signal: "KILL", timeoutSec: 1 })).toBe(137);
    expect(await Bun.file(spec.logPath).exists()).toBe(true);
    expect(await Bun.file(spec.logPath).text()).toBe("");
  });

  test("an exec, with a terminal or without, has the container's namespaces, cgroup and capability bounds and no host descriptor", async () => {
    const { dir, spec } = fx.container(["sleep", "30"]);
    const { pid: init } = await rt.startContainer(dir, { spec, command: berthCommand });
    const nsOf = (pid: number) => ["ipc", "uts", "net", "cgroup", "pid", "mnt"].map((ns) => readlinkSync(`/proc/${pid}/ns/${ns}`));
    const status = (pid: number, key: string) => new RegExp(`^${key}:\\s*(.*)$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    for (const [id, cfg] of [
      ["root", { tty: false }],
      ["tty", { tty: true }],
      ["nobody", { tty: false, user: "nobody", noNewPrivileges: true }],
    ] as const) {
      const h = await rt.execInContainer(dir, id, { args: ["sleep", "30"], ...cfg }, { command: berthCommand });
      try {
        expect(nsOf(h.pid)).toEqual(nsOf(init));
        expect(readFileSync(`/proc/${h.pid}/cgroup`, "utf8")).toBe(readFileSync(`/proc/${init}/cgroup`, "utf8"));
        expect(status(h.pid, "CapBnd")).toBe(status(init, "CapBnd"));
        expect(status(h.pid, "CapEff")).toBe(id === "nobody" ? "0000000000000000" : status(init, "CapEff"));
        expect(status(h.pid, "Uid")?.split(/\s+/)[0]).toBe(id === "nobody" ? "65534" : "0");
        expect(status(h.pid, "NoNewPrivs")).toBe(id === "nobody" ? "1" : "0");
        expect(readdirSync(`/proc/${h.pid}/fd`).sort()).toEqual(["0", "1", "2"]);
        // The exec's shim, which spawned it, is back in its own namespaces and cgroups.
        expect(nsOf(h.shimPid)).toEqual(nsOf(process.pid));
        expect(readFileSync(`/proc/${h.shimPid}/cgroup`, "utf8")).toBe(readFileSync(`/proc/${process.pid}/cgroup`, "utf8"));
      } finally {
        process.kill(h.pid, "SIGKILL");
      }
      expect((await rt.waitExec(dir, id)).exitCode).toBe(137);
    }
    expect(await rt.stopContainer(dir, { signal: "KILL", timeoutSec: 1 })).toBe(137);
  });

  test("pause, unpause and stats", async () => {
    const { dir, spec } = fx.container(["sleep", "30"], { resources: { memory: 64 << 20, pidsLimit: 50 } });
    await rt.startContainer(dir, { spec, command: berthCommand });
    const st = rt.stats(dir);
    expect(st.memoryLimit).toBe(64 << 20);
    expect(st.memoryUsage).toBeGreaterThan(0);
    expect(st.pids).toBe(1);
    expect(st.pidsLimit).toBe(50);
    rt.pause(dir);
    expect(rt.isPaused(dir)).toBe(true);
    rt.unpause(dir);
    expect(rt.isPaused(dir)).toBe(false);
    // A paused container still stops (it is thawed for the SIGKILL).
    rt.pause(dir);
    expect(await rt.stopContainer(dir, { timeoutSec: 0.2 })).toBe(137);
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
