// A waiting shim with no container goes when its daemon is killed with -9, even while some other
// process holds the daemon's end of its stdin open (so that stdin never ends, as was seen once: a
// standby found an hour after its test daemon was killed). A shim that owns a container keeps
// running (containers outlive the daemon) but takes no more work.
import { expect, test } from "bun:test";
import { dlopen, FFIType } from "bun:ffi";
import { closeSync, readFileSync, readlinkSync } from "node:fs";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";

const daemon = busyboxDaemonForFile();

const libc = dlopen("libc.so.6", { syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i64 } });
/** The same numbers on x86_64 and arm64 (the generic table). */
const SYS = { pidfd_open: 434, pidfd_getfd: 438 };

/** A copy, in this process, of another process's file descriptor (pidfd_getfd). */
function copyFd(pid: number, fd: number): number {
  const pidfd = Number(libc.symbols.syscall(SYS.pidfd_open, pid, 0, 0));
  if (pidfd < 0) throw new Error(`pidfd_open(${pid}) failed`);
  const copy = Number(libc.symbols.syscall(SYS.pidfd_getfd, pidfd, fd, 0));
  if (copy < 0) throw new Error(`pidfd_getfd(${pid}, ${fd}) failed`);
  return copy;
}

const run = (argv: string[]) => new TextDecoder().decode(Bun.spawnSync(argv).stdout);

const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
  } catch {
    return false;
  }
};

/** Shims of `daemonPid` still waiting for work: their stdin is still the daemon's socket. */
function waitingStandbys(daemonPid: number): number[] {
  const out: number[] = [];
  for (const line of run(["ps", "-o", "pid=,ppid=,args=", "-e"]).split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!m || Number(m[2]) !== daemonPid || !m[3]!.includes("__shim --standby")) continue;
    try {
      if (readlinkSync(`/proc/${m[1]}/fd/0`).startsWith("socket:")) out.push(Number(m[1]));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Takes (in this process) a copy of the daemon's end of each shim's stdin, as another process might hold it. */
function holdStdins(daemonPid: number, shims: number[]): number[] {
  const sockets = run(["ss", "-xpn"]);
  return shims.map((s) => {
    const inode = /socket:\[(\d+)\]/.exec(readlinkSync(`/proc/${s}/fd/0`))![1]!;
    const peer = new RegExp(`\\s${inode}\\s+\\*\\s+(\\d+)`).exec(sockets)?.[1];
    const daemonFd = new RegExp(`\\s${peer}\\s+\\*\\s+${inode}\\s.*pid=${daemonPid},fd=(\\d+)`).exec(sockets)?.[1];
    expect(daemonFd).toBeDefined();
    return copyFd(daemonPid, Number(daemonFd));
  });
}

async function standbysSoon(daemonPid: number): Promise<number[]> {
  let found: number[] = [];
  for (const end = Date.now() + 15_000; Date.now() < end && found.length === 0; await Bun.sleep(20)) found = waitingStandbys(daemonPid);
  return found;
}

test.skipIf(!daemon.ok)("a waiting shim with no container dies with its daemon (kill -9) even while its stdin is held open elsewhere; one with a container lives on and takes no more", async () => {
  const d = daemon.d;
  // A shim whose container has come and gone: it waits with nothing of its own.
  expect((await d.cli(["run", "--rm", "busybox", "true"])).code).toBe(0);
  const empty = await standbysSoon(d.pid);
  expect(empty.length).toBeGreaterThan(0);
  let held = holdStdins(d.pid, empty);
  try {
    d.kill();
    for (const end = Date.now() + 15_000; Date.now() < end && empty.some(alive); ) await Bun.sleep(50);
    expect(empty.filter(alive)).toEqual([]);
  } finally {
    for (const fd of held) closeSync(fd);
    await d.restart();
  }

  // A shim that owns a running container outlives the daemon, as the container does.
  const id = (await d.cli(["run", "-d", "busybox", "sleep", "60"])).stdout.trim();
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  const pid = Number((await d.cli(["inspect", "-f", "{{.State.Pid}}", id])).stdout.trim());
  const shim = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
  const waiting = await standbysSoon(d.pid);
  expect(waiting.length).toBeGreaterThan(0);
  held = holdStdins(d.pid, waiting);
  try {
    d.kill();
    // It takes no more work (stdin /dev/null), though its stdin never ended; the others went.
    const takesWork = () => {
      try {
        return readlinkSync(`/proc/${shim}/fd/0`).startsWith("socket:");
      } catch {
        return false;
      }
    };
    for (const end = Date.now() + 15_000; Date.now() < end && (takesWork() || waiting.filter((p) => p !== shim).some(alive)); ) await Bun.sleep(50);
    expect(takesWork()).toBe(false);
    expect(waiting.filter((p) => p !== shim).filter(alive)).toEqual([]);
    expect(alive(shim)).toBe(true);
    expect(alive(pid)).toBe(true);
  } finally {
    for (const fd of held) closeSync(fd);
    await d.restart();
  }
  // The new daemon adopted the container; the fixture's stop removes it.
  expect((await d.cli(["inspect", "-f", "{{.State.Running}}", id])).stdout.trim()).toBe("true");
}, 90_000);
