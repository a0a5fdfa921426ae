// Container lifecycle through the CLI: detached runs, ps, logs, stop, kill,
// wait, rename, rm, name conflicts, and a daemon killed while containers run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { busyboxRootfsTar, cgroupDirs, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

let d: TestDaemon;
const ok = requireDaemon();

beforeAll(async () => {
  if (!ok) return;
  d = await startDaemon();
  expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox"])).code).toBe(0);
});
afterAll(async () => {
  if (ok) await d.stop();
});

describe.if(ok)("container lifecycle", () => {
  test("run -d, ps, logs, stop, rm", async () => {
    const run = await d.cli(["run", "-d", "--name", "web", "busybox", "sh", "-c", "echo started; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"]);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = await d.cli(["ps"]);
    expect(ps.stdout).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/m);
    expect(ps.stdout).toMatch(new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+.*Up .*web$`, "m"));
    // An argument with a space in it comes single-quoted, as dockerd lists it.
    const command = await d.cli(["ps", "--no-trunc", "--format", "{{.Command}}", "--filter", "name=web"]);
    expect(command.stdout).toBe(`"sh -c 'echo started; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done'"\n`);
    await Bun.sleep(300);
    expect((await d.cli(["logs", "web"])).stdout).toBe("started\n");
    const stop = await d.cli(["stop", "-t", "5", "web"]);
    expect(stop.stdout.trim()).toBe("web");
    expect((await d.cli(["logs", "web"])).stdout).toBe("started\nbye\n");
    expect((await d.cli(["ps", "-a", "--format", "{{.Names}} {{.Status}}"])).stdout).toMatch(/^web Exited \(0\) /m);
    expect((await d.cli(["rm", "web"])).code).toBe(0);
    expect((await d.cli(["ps", "-aq"])).stdout).toBe("");
  });

  test("name conflicts are refused with Docker's message", async () => {
    await d.cli(["create", "--name", "dup", "busybox", "true"]);
    const r = await d.cli(["create", "--name", "dup", "busybox", "true"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Conflict. The container name "/dup" is already in use by container');
    await d.cli(["rm", "dup"]);
  });

  test("unknown containers give 'No such container'", async () => {
    const r = await d.cli(["stop", "nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No such container: nope");
  });

  test("kill, wait and a running container's removal needs -f", async () => {
    const id = (await d.cli(["run", "-d", "busybox", "sleep", "60"])).stdout.trim();
    const rm = await d.cli(["rm", id]);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain("You cannot remove a running container");
    const waiting = d.cli(["wait", id]);
    expect((await d.cli(["kill", id])).code).toBe(0);
    expect((await waiting).stdout.trim()).toBe("137");
    expect((await d.cli(["rm", id])).code).toBe(0);
  });

  test("the daemon killed with -9 leaves containers running; a new daemon adopts them", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const id = (await d.cli(["run", "-d", "--name", "survivor", "busybox", "sleep", "60"])).stdout.trim();
    const standbys = await oneStandbySoon(d.pid);
    expect(standbys).toHaveLength(1); // the daemon keeps one shim loaded for the next start (more only while starts come fast)
    // Shims run several containers each: survivor's is the one waiting for the next.
    const survivorShim = parentOf(Number((await d.cli(["inspect", "-f", "{{.State.Pid}}", "survivor"])).stdout.trim()));
    expect(standbys).toEqual([survivorShim]);
    // No exec stage 1 waits: an exec without a terminal needs none; one is kept once an exec with one came.
    expect(standbysOf(d.pid, "__exec")).toHaveLength(0);
    expect((await d.cli(["exec", "survivor", "true"])).code).toBe(0);
    expect(standbysOf(d.pid, "__exec")).toHaveLength(0);
    expect((await d.cli(["exec", "-t", "survivor", "true"])).code).toBe(0);
    let execStandbys: number[] = [];
    for (const end = Date.now() + 15_000; Date.now() < end && execStandbys.length !== 1; await Bun.sleep(20)) execStandbys = standbysOf(d.pid, "__exec");
    expect(execStandbys).toHaveLength(1);
    // A detached exec, which the daemon started itself, outlives it (as the container does).
    expect((await d.cli(["exec", "-d", "survivor", "sleep", "7801"])).code).toBe(0);
    let detached = 0;
    for (const end = Date.now() + 15_000; Date.now() < end && !detached; await Bun.sleep(20)) detached = pidOf(["sleep", "7801"]);
    expect(detached).toBeGreaterThan(0);
    // A standby's cgroup left by a shim that died (pid 4194303 is never a live process here).
    const cgBase = existsSync("/sys/fs/cgroup/cgroup.controllers") ? `/sys/fs/cgroup/${d.cgroupParent}` : `/sys/fs/cgroup/pids/${d.cgroupParent}`;
    const stale = `${cgBase}/standby-4194303`;
    mkdirSync(stale, { recursive: true });
    for (const end = Date.now() + 15_000; Date.now() < end && !existsSync(`${cgBase}/standby-${standbys[0]}`); ) await Bun.sleep(20);
    expect(existsSync(`${cgBase}/standby-${standbys[0]}`)).toBe(true);
    d.kill();
    await d.restart();
    // The old daemon's shim saw its stdin close: it keeps survivor, but its standby stage 2 and cgroup
    // are gone, and it takes no more (stdin /dev/null); the new daemon swept the stale cgroup.
    for (const end = Date.now() + 15_000; Date.now() < end && existsSync(`${cgBase}/standby-${survivorShim}`); ) await Bun.sleep(20);
    expect(alive(survivorShim)).toBe(true);
    expect(readlinkSync(`/proc/${survivorShim}/fd/0`)).toBe("/dev/null");
    for (const end = Date.now() + 15_000; Date.now() < end && execStandbys.some(alive); ) await Bun.sleep(20);
    expect(execStandbys.filter(alive)).toEqual([]);
    expect(alive(detached)).toBe(true);
    expect(existsSync(`${cgBase}/standby-${standbys[0]}`)).toBe(false);
    expect(existsSync(stale)).toBe(false);
    expect(await standbyShimsSoon(d.pid)).toHaveLength(1);
    // Events live in the store: the new daemon still has the old one's.
    const past = await d.cli(["events", "--since", String(since), "--until", String(Math.floor(Date.now() / 1000) + 1), "--filter", "container=survivor", "--format", "{{.Action}}"]);
    const execEvents = ["exec_create: true", "exec_start: true", "exec_die"];
    expect(past.stdout.split("\n").filter(Boolean)).toEqual(["create", "start", ...execEvents, ...execEvents, "exec_create: sleep 7801", "exec_start: sleep 7801"]);
    const ps = await d.cli(["ps", "--format", "{{.Names}} {{.State}}"]);
    expect(ps.stdout).toContain("survivor running");
    const waiting = d.cli(["wait", "survivor"]);
    expect((await d.cli(["stop", "-t", "1", "survivor"])).code).toBe(0);
    expect((await waiting).stdout.trim()).toBe("137");
    expect((await d.cli(["rm", id])).code).toBe(0);
    // Its last container gone, the old daemon's shim goes too.
    for (const end = Date.now() + 15_000; Date.now() < end && alive(survivorShim); ) await Bun.sleep(20);
    expect(alive(survivorShim)).toBe(false);
  });

  test("a create cut short by the daemon's death leaves nothing once the daemon is back; whole containers stay", async () => {
    const kept = (await d.cli(["create", "--name", "kept-across", "busybox", "true"])).stdout.trim();
    // What a create leaves when the daemon dies before its last step, the record.
    const half = "f".repeat(64);
    mkdirSync(`${d.dir}/data/containers/${half}/upper/etc`, { recursive: true });
    await Bun.write(`${d.dir}/data/containers/${half}/hostname`, "x\n");
    d.kill();
    await d.restart();
    for (const end = Date.now() + 15_000; Date.now() < end && existsSync(`${d.dir}/data/containers/${half}`); ) await Bun.sleep(20);
    expect(existsSync(`${d.dir}/data/containers/${half}`)).toBe(false);
    expect(existsSync(`${d.dir}/data/containers/${kept}`)).toBe(true);
    expect((await d.cli(["ps", "-a", "--format", "{{.Names}}"])).stdout).toContain("kept-across");
    expect((await d.cli(["rm", kept])).code).toBe(0);
  });

  test("a container whose shim died is shown as exited, its processes die with the shim, and rm leaves no cgroup", async () => {
    const id = (await d.cli(["run", "-d", "busybox", "sleep", "60"])).stdout.trim();
    const pid = Number((await d.cli(["inspect", "-f", "{{.State.Pid}}", id])).stdout.trim());
    const shim = Number(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1]);
    expect(readFileSync(`/proc/${shim}/cmdline`, "utf8")).toContain("__shim");
    process.kill(shim, "SIGKILL");
    for (const end = Date.now() + 15_000; Date.now() < end && alive(pid); ) await Bun.sleep(20);
    expect(alive(pid)).toBe(false); // the container's PID 1 (and so its namespace) went with its shim
    const st = await d.cli(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id]);
    expect(st.stdout.trim()).toBe("exited 137");
    expect((await d.cli(["ps", "-a", "--filter", `id=${id}`, "--format", "{{.Status}}"])).stdout).toStartWith("Exited (137)");
    expect((await d.cli(["rm", id])).code).toBe(0);
    const cgroups = cgroupDirs(d.cgroupParent).map((b) => `${b}/${id}`);
    expect(cgroups.filter((c) => existsSync(c))).toEqual([]);
  });

  test("30 parallel run --rm leave no container, shim process, mount, socket or cgroup behind", async () => {
    // Thirty at once on a loaded host can take longer than the fixture's 30 s for one command: this is not a speed test.
    const runs = await Promise.all(Array.from({ length: 30 }, (_, i) => d.cli(["run", "--rm", "busybox", "echo", `n${i}`], { timeoutMs: 120_000 })));
    runs.forEach((r, i) => expect(r.stdout).toBe(`n${i}\n`));
    expect((await d.cli(["ps", "-aq"])).stdout).toBe("");
    expect(readdirSync(`${d.dir}/data/containers`)).toEqual([]);
    // The standby shim listens there ahead of its container, by design.
    expect(readdirSync(`${d.dir}/exec/s`).filter((n) => !/^standby-\d+\.sock$/.test(n))).toEqual([]);
    // The daemon's standby shim holds a standby-<pid> cgroup by design (the daemon has a cgroup parent
    // of its own, so no other daemon's are here); a shim removes its container's cgroup (renamed
    // exited-<pid>) just after it reported the exit.
    const leftover = () => cgroupDirs(d.cgroupParent).filter((cg) => existsSync(cg)).flatMap((cg) =>
      readdirSync(cg, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith("standby-")).map((e) => `${cg}/${e.name}`));
    for (const end = Date.now() + 15_000; Date.now() < end && leftover().length; ) await Bun.sleep(20);
    expect(leftover()).toEqual([]);
    // Shims that took work: all gone once their containers were (the standby waiting for work stays).
    expect(shimsOf(d.pid).length).toBeGreaterThanOrEqual(1); // the standby: the lookup finds shims at all
    const working = () => shimsOf(d.pid).filter((p) => !standbyShimsOf(d.pid).includes(p));
    for (const end = Date.now() + 15_000; Date.now() < end && working().length; ) await Bun.sleep(20);
    expect(working()).toEqual([]);
    // Starts that came faster than a standby boots made the daemon keep more; idle, it keeps one again.
    expect(await oneStandbySoon(d.pid)).toHaveLength(1);
    expect(readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(d.dir))).toEqual([]);
  });

  test("the standby shim waits at nice 10 and listens ahead; the container it takes runs at nice 0, attached from the first byte; then it waits again", async () => {
    const [standby] = await oneStandbySoon(d.pid);
    expect(standby).toBeDefined();
    const nice = (pid: number | string) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]);
    expect(nice(standby!)).toBe(10);
    // It listens ahead: its socket is there once it has made it, a moment after the process appears.
    const sock = `${d.dir}/exec/s/standby-${standby}.sock`;
    for (const end = Date.now() + 10_000; !existsSync(sock) && Date.now() < end; ) await Bun.sleep(20);
    expect(existsSync(sock)).toBe(true);
    // The container's PID 1 and its child; the first bytes of output must not be lost either.
    const r = await d.cli(["run", "--rm", "busybox", "sh", "-c", "cat /proc/1/stat; echo; cat /proc/self/stat"]);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => Number(l.split(") ")[1]!.split(" ")[16]))).toEqual([0, 0]);
    // That standby's socket became the container's (renamed away, then removed with it); the shim, which
    // runs several containers, prepared another and waits again, back at nice 10 with no container left.
    for (const end = Date.now() + 15_000; Date.now() < end && !(existsSync(`${d.dir}/exec/s/standby-${standby}.sock`) && nice(standby!) === 10); ) await Bun.sleep(20);
    expect(existsSync(`${d.dir}/exec/s/standby-${standby}.sock`)).toBe(true);
    expect(nice(standby!)).toBe(10);
    expect(standbyShimsOf(d.pid)).toContain(standby!);
    // A removed container's files are deleted in the background, out of the containers dir at once.
    for (const end = Date.now() + 15_000; Date.now() < end && readdirSync(`${d.dir}/data/tmp`).some((n) => n.startsWith("removed-")); ) await Bun.sleep(20);
    expect(readdirSync(`${d.dir}/data/tmp`).filter((n) => n.startsWith("removed-"))).toEqual([]);
  });

  test("commit makes the container's changes a new layer; the image runs", async () => {
    await d.cli(["run", "--name", "cm", "busybox", "sh", "-c", "echo committed > /greeting; rm /bin/true"]);
    const r = await d.cli(["commit", "-m", "add greeting", "-c", 'CMD ["cat", "/greeting"]', "cm", "greet:1"]);
    expect(r.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await d.cli(["run", "--rm", "greet:1"])).stdout).toBe("committed\n");
    expect((await d.cli(["run", "--rm", "greet:1", "true"])).code).toBe(127); // the deletion is a whiteout in the new layer
    const layers = (await d.cli(["image", "inspect", "-f", "{{len .RootFS.Layers}}", "greet:1"])).stdout.trim();
    expect(layers).toBe("2");
    expect((await d.cli(["history", "--format", "{{.Comment}}", "greet:1"])).stdout.split("\n")[0]).toBe("add greeting");
    await d.cli(["rm", "cm"]);
  });

  test("restart policy on-failure:2 restarts a failing program twice, then leaves it", async () => {
    await d.cli(["run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 1"]);
    let state = "";
    for (let i = 0; i < 100; i++) {
      state = (await d.cli(["inspect", "-f", "{{.RestartCount}} {{.State.Status}}", "flaky"])).stdout.trim();
      if (state === "2 exited") break;
      await Bun.sleep(100);
    }
    expect(state).toBe("2 exited");
    expect((await d.cli(["logs", "flaky"])).stdout).toBe("run\nrun\nrun\n");
    await d.cli(["rm", "flaky"]);
  });

  test("a fork bomb under --pids-limit 20 is contained", async () => {
    const r = await d.cli(["run", "--rm", "--pids-limit", "20", "busybox", "sh", "-c", "i=0; while [ $i -lt 60 ]; do sleep 2 & i=$((i+1)); done 2>/dev/null; ls /proc | grep -c '^[0-9]'"]);
    expect(Number(r.stdout.trim())).toBeLessThanOrEqual(20);
  });

  test("--init: berth's init (docker-init) is PID 1, the command its child; signals reach the command; orphans are reaped; the exit code is the command's", async () => {
    const ps = await d.cli(["run", "--rm", "--init", "busybox", "ps"]);
    const pid1 = ps.stdout.split("\n").find((l) => /^\s*1\s/.test(l));
    expect(pid1).toContain("docker-init");
    expect(ps.stdout).toMatch(/^\s*\d+\s+root\s+ps$/m);
    expect((await d.cli(["run", "--rm", "--init", "busybox", "sh", "-c", "exit 5"])).code).toBe(5);

    // sleep has no SIGTERM handler: as PID 1 it would ignore it until the SIGKILL; under docker-init it dies at once.
    const id = (await d.cli(["run", "-d", "--init", "busybox", "sleep", "100"])).stdout.trim();
    expect((await d.cli(["inspect", "-f", "{{.HostConfig.Init}}", id])).stdout.trim()).toBe("true");
    const t0 = Date.now();
    expect((await d.cli(["stop", "-t", "10", id])).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await d.cli(["inspect", "-f", "{{.State.ExitCode}}", id])).stdout.trim()).toBe("143");
    await d.cli(["rm", id]);

    // A grandchild whose parent exits is handed to PID 1, which must reap it.
    const zombies = await d.cli(["run", "--rm", "--init", "busybox", "sh", "-c",
      "(sleep 0.2 &); sleep 1; n=0; for f in /proc/[0-9]*/stat; do read -r l < $f; case \"$l\" in *') Z '*) n=$((n+1));; esac; done; echo zombies=$n"]);
    expect(zombies.stdout).toBe("zombies=0\n");
  });

  test("a --rm container's writable layer is a volatile overlay (its exit syncs nothing); a kept container's is not", async () => {
    const rootOptions = async (args: string[]) => {
      const id = (await d.cli(["run", "-d", ...args, "busybox", "sleep", "30"])).stdout.trim();
      const pid = (await d.cli(["inspect", "-f", "{{.State.Pid}}", id])).stdout.trim();
      const root = readFileSync(`/proc/${pid}/mountinfo`, "utf8").split("\n").find((l) => l.split(" ")[4] === "/");
      await d.cli(["rm", "-f", id]);
      return root ?? "";
    };
    const ephemeral = await rootOptions(["--rm"]);
    expect(ephemeral).toContain(" - overlay overlay ");
    expect(ephemeral).toContain("volatile");
    expect(await rootOptions([])).not.toContain("volatile");
  });

  test("events stream what happens, with filters", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await d.cli(["run", "--rm", "--name", "evt", "busybox", "true"]);
    const r = await d.cli(["events", "--since", String(since), "--until", String(Math.floor(Date.now() / 1000) + 1), "--filter", "container=evt", "--format", "{{.Action}}"]);
    const actions = r.stdout.trim().split("\n");
    for (const a of ["create", "start", "die", "destroy"]) expect(actions).toContain(a);
  });
});

/** Running (a zombie left for its new parent to reap counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** standbyShimsOf, allowing a moment for a just-forked standby to exec. */
async function standbyShimsSoon(pid: number): Promise<number[]> {
  for (let i = 0; i < 50; i++) {
    const found = standbyShimsOf(pid);
    if (found.length) return found;
    await Bun.sleep(20);
  }
  return [];
}

/** The daemon's standby shims once it keeps just one (a pool grown by a burst of starts shrinks after a pause). */
async function oneStandbySoon(pid: number): Promise<number[]> {
  let found: number[] = [];
  for (const end = Date.now() + 15_000; Date.now() < end; await Bun.sleep(20)) {
    found = standbyShimsOf(pid);
    if (found.length === 1) return found;
  }
  return found;
}

/** The PID of a process whose command line is `argv`, or 0. */
function pidOf(argv: string[]): number {
  const want = argv.join("\0") + "\0";
  return Number(readdirSync("/proc").find((e) => {
    try {
      return /^\d+$/.test(e) && readFileSync(`/proc/${e}/cmdline`, "utf8") === want;
    } catch {
      return false;
    }
  }) ?? 0);
}

/** The parent of `pid`. */
function parentOf(pid: number): number {
  return Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
}

/** PIDs of `berth __exec --standby` (or another role's standby) processes whose parent is `pid`. */
function standbysOf(pid: number, role: string): number[] {
  return readdirSync("/proc").filter((e) => /^\d+$/.test(e)).map(Number).filter((p) => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      return cmd.includes(role) && cmd.includes("--standby") && Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1]) === pid;
    } catch {
      return false;
    }
  });
}

/** PIDs of every `berth __shim` process whose parent is `pid`. */
function shimsOf(pid: number): number[] {
  return readdirSync("/proc").filter((e) => /^\d+$/.test(e)).map(Number).filter((p) => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      return cmd.includes("__shim") && Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1]) === pid;
    } catch {
      return false;
    }
  });
}

/** PIDs of `berth __shim --standby` processes whose parent is `pid`. */
function standbyShimsOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${e}/status`, "utf8"))?.[1]);
      // A shim the daemon gives no more work keeps its command line; its stdin then is /dev/null, no longer the daemon's.
      const waiting = readlinkSync(`/proc/${e}/fd/0`) !== "/dev/null";
      if (ppid === pid && cmd.includes("__shim") && cmd.includes("--standby") && waiting) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
