// Stage 1 of a container (`berth __shim DIR [SOCKET [ATTACH_COUNT]]`): the
// container's parent for its whole life. It creates the cgroup, starts stage 2
// in a new PID namespace (the two-stage pattern of DESIGN.md), holds the
// container's stdio (pipes, or a PTY made in the container's own devpts),
// appends the json-file log, serves the attach socket, and records the run in
// state.json. Spawned detached (own session), so containers outlive the daemon.
import { closeSync, openSync, readFileSync, writeSync, constants as fsConstants } from "node:fs";
import { dirname, join } from "node:path";
import * as c from "../libc.ts";
import { resolveSpec, type RuntimeSpec } from "../spec.ts";
import { openCgroup, type Cgroup } from "../cgroups/index.ts";
import { selfCommand } from "../../self.ts";
import { writeState, nowRfc3339, type ShimState } from "./state.ts";
import { LogWriter } from "./log.ts";
import { superviseStartAsync } from "../process.ts";
import { StartError } from "../start-error.ts";
import { Session, AttachListener, relay, drain, exitCodeOf, report, announcedWaitCapMs } from "./session.ts";
import { startRemappedInit } from "../userns/start-init.ts";
import { giveToContainerRoot } from "../userns/remapped-rootfs.ts";

type Proc = ReturnType<typeof Bun.spawn>;

/** The daemon that spawned this shim (read at load, before it could have gone): it announces the attachments. */
const spawner = process.ppid;

/**
 * Starts stage 2 as PID 1 of a new PID namespace, or in `pidNamespace` (see RuntimeSpec: the host's, or
 * another container's, joined by its path); it waits for "go" on fd 3.
 */
function spawnInit(args: string[], stdio: unknown[], pidNamespace?: string): Proc {
  const self = selfCommand();
  // Named docker-init as dockerd's init is, from the sources too (Bun finds its script by its arguments, not argv[0]).
  const spawn = () => Bun.spawn([...self, "__init", ...args], { stdio: stdio as any, env: {}, argv0: "docker-init" });
  if (pidNamespace === "host") return spawn();
  const pidns = openSync("/proc/self/ns/pid", "r");
  try {
    if (pidNamespace) {
      const other = openSync(pidNamespace, "r");
      try {
        c.setns(other, c.CLONE.NEWPID);
      } finally {
        closeSync(other);
      }
    } else c.unshare(c.CLONE.NEWPID);
    // Named as Docker's init is: with --init this process stays as the container's PID 1 for all to see.
    return spawn();
  } finally {
    // At once: this thread may not create threads while it is in another PID namespace.
    c.setns(pidns, c.CLONE.NEWPID);
    closeSync(pidns);
  }
}

/** SIGKILL to every process left in the container's cgroup, frozen meanwhile so that none forks past it. */
function killLeftInCgroup(cgroup: Cgroup): void {
  try {
    cgroup.freeze(true);
    for (const pid of cgroup.pids()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
  } catch (e) {
    process.stderr.write(`berth shim: killing what the container left: ${(e as Error).message}\n`);
  } finally {
    try {
      cgroup.freeze(false);
    } catch {
      // the cgroup's removal after the exit thaws and kills what is left
    }
  }
}

/** What a standby shim prepares before it knows its container. */
export interface Prepared {
  init: Proc;
  /** <cgroup parent>/standby-<pid>, holding `init`; renamed to the container's cgroup (v1 renames only within a parent). */
  cgroup: Cgroup;
  /** The attach socket, already listening in the daemon's socket directory (renamed on use). */
  listener?: AttachListener;
}

let standbyCount = 0;

/**
 * For a standby shim: stage 2 started before the container is known, with
 * every stdio a pipe (the shim closes what the container turns out not to
 * use), already in a cgroup of its own, since making cgroups is slow on v1.
 */
export async function prepareStandby(socketDir?: string, cgroupParent = "berth"): Promise<Prepared> {
  const cgroup = openCgroup(`${cgroupParent}/standby-${process.pid}`);
  cgroup.create();
  const init = spawnInit(["--standby"], ["pipe", "pipe", "pipe", "pipe"]);
  try {
    cgroup.addProcess(init.pid);
  } catch (e) {
    init.kill();
    cgroup.remove();
    throw e;
  }
  let listener: AttachListener | undefined;
  if (socketDir) {
    try {
      // Bound under a name of its own, then given the standby's: Bun unlinks the path a socket was
      // bound to when it closes, and a group shim's next standby socket has this one's name.
      const l = await AttachListener.open(join(socketDir, `standby-${process.pid}-${++standbyCount}.sock`));
      try {
        l.moveTo(join(socketDir, `standby-${process.pid}.sock`));
      } catch (e) {
        l.close();
        throw e;
      }
      listener = l;
    } catch {
      // The container's own socket is made when it starts.
    }
  }
  return { init, cgroup, listener };
}

/** A standby that will not be used: its init and cgroup go. */
export function discardStandby(p: Prepared): void {
  p.init.kill(9);
  p.listener?.close();
  try {
    p.cgroup.remove();
  } catch {
    // Its init was just killed and may linger a moment; the daemon's sweep removes standby cgroups whose shim is gone.
  }
}

/** A started (or failed) container in this shim: `done` resolves once its end is recorded, with the exit code a shim of its own would give. */
export interface ContainerRun {
  done: Promise<number>;
}

/** A shim of one container: the process ends with it. */
export async function containerShimMain(argv: string[], prepared?: Prepared): Promise<void> {
  const run = await startContainer(argv, prepared);
  process.exit(await run.done);
}

let hangupIgnored = false;

/**
 * Starts the container of `argv` ([DIR, SOCKET?, ATTACH_COUNT?]) and follows it to its end.
 * Resolves once it runs (or failed to start). `say` reports to the spawner; `asideName` is the
 * name its cgroup takes while it is removed after the exit (unique among this shim's containers).
 */
export async function startContainer(argv: string[], prepared?: Prepared, say: (line: string) => void = report, asideName = `exited-${process.pid}`): Promise<ContainerRun> {
  const ready = prepared?.init;
  const [dir, socketArg, attachCountRaw] = argv as [string, string?, string?];
  const spec: RuntimeSpec = resolveSpec(dir, JSON.parse(readFileSync(join(dir, "config.json"), "utf8")));
  const standbySocket = socketArg ? prepared?.listener : undefined;
  if (!standbySocket) prepared?.listener?.close();
  const session = await Session.open(socketArg || join(dir, "attach.sock"), spec.tty, Number(attachCountRaw) || 0, standbySocket, say);
  const cgroup = openCgroup(spec.cgroupPath, spec.resources);
  // The "none" log driver: the output goes to attached clients only.
  const log = spec.logDisabled ? undefined : new LogWriter(spec.logPath, spec.logRotation);

  let proc: Proc;
  // The container's PID 1 on the host: stage 2 itself, or under a user namespace the starter's child.
  let pid: number | undefined;
  let detachRoot: (() => void) | undefined;
  try {
    // A standby's stage 2 already has its namespaces (a new PID one), a user namespace not among them.
    if (prepared && ready!.exitCode === null && !spec.userns && !spec.pidNamespace && !spec.shmSource) {
      proc = ready!;
      // The standby's cgroup becomes the container's (init inside); else the usual way.
      if (cgroup.takeOver(prepared.cgroup)) cgroup.applyLimits();
      else {
        cgroup.create();
        cgroup.addProcess(proc.pid);
        prepared.cgroup.remove();
      }
      // Pipes the container does not use: a TTY takes its terminal later; no -i means no input.
      if (spec.tty || !spec.openStdin) (proc.stdin as import("bun").FileSink).end();
      if (spec.tty) {
        // Unused with a terminal; a failed cancel of an unread pipe changes nothing.
        void (proc.stdout as ReadableStream).cancel().catch(() => {});
        void (proc.stderr as ReadableStream).cancel().catch(() => {}); // as above
      }
    } else {
      // Its init and cgroup go; its listener stays when the session took it over.
      if (prepared) discardStandby({ ...prepared, listener: standbySocket ? undefined : prepared.listener });
      cgroup.create();
      // A TTY's terminal is made later, in the container's devpts, when stage 2 asks for it.
      const stdio = spec.tty ? ["ignore", "ignore", "ignore", "pipe"] : [spec.openStdin ? "pipe" : "ignore", "pipe", "pipe", "pipe"];
      if (spec.userns) {
        const init = startRemappedInit(spec, [...selfCommand(), "__init", dir], stdio, cgroup);
        proc = init.proc;
        pid = init.pid;
        detachRoot = init.detachRoot;
      } else {
        proc = spawnInit([dir], stdio, spec.pidNamespace);
        cgroup.addProcess(proc.pid);
      }
    }
    pid ??= proc.pid;
  } catch (e) {
    say(`failed ${new StartError((e as Error).message, 125).toReport()}`);
    cgroup.remove();
    // Its clients' streams end after the start is over: a group shim's next start does not wait for them.
    return { done: session.close({ waitForAnnounced: false }).then(() => 1) };
  }
  const control = proc.stdio[3] as unknown as number;
  let ptyMaster: number | undefined;
  writeSync(control, ready && proc === ready ? `go ${dir}\n` : "go\n");
  // Read through the event loop: a group shim takes and serves other starts meanwhile.
  const failure = await superviseStartAsync(control, () => {
    const pty = c.openPty(`/proc/${pid}/root/dev/pts/ptmx`);
    ptyMaster = pty.master;
    if (spec.userns) giveToContainerRoot(`/proc/${pid}/root${pty.slavePath}`, spec.userns);
    if (spec.consoleSize) c.setWindowSize(pty.master, ...spec.consoleSize);
    return pty.slavePath;
  });
  closeSync(control);
  // Stage 2 has its own copy of the root (or has failed): the shim's can go.
  detachRoot?.();

  const state: ShimState = { shimPid: process.pid, pid, status: "running", startedAt: nowRfc3339() };
  if (failure) {
    await proc.exited;
    Object.assign(state, { status: "exited", finishedAt: nowRfc3339(), exitCode: failure.exitCode, error: failure.message });
    writeState(dir, state);
    say(`failed ${failure.toReport()}`);
    log?.flush();
    cgroup.remove();
    return { done: session.close({ waitForAnnounced: false }).then(() => 0) };
  }
  writeState(dir, state);
  say(`started ${pid}`);
  // From here on nobody may read our stdout: report() survives a closed pipe (Bun ignores
  // SIGPIPE; process.stdout, which would cost ms to build, is never used). Nor may a hangup kill us.
  if (!hangupIgnored) process.on("SIGHUP", () => {});
  hangupIgnored = true;
  return { done: followToEnd({ dir, spec, state, session, cgroup, proc, ptyMaster, log, say, asideName }) };
}

/** A container whose program runs, as its shim holds it. */
interface Running {
  dir: string;
  spec: RuntimeSpec;
  state: ShimState;
  session: Session;
  cgroup: Cgroup;
  proc: Proc;
  ptyMaster?: number;
  log?: LogWriter;
  say: (line: string) => void;
  asideName: string;
}

/** From the program's start to its recorded end (see startContainer). */
async function followToEnd({ dir, spec, state, session, cgroup, proc, ptyMaster, log, say, asideName }: Running): Promise<number> {
  const hub = session.hub;

  hub.startClock(announcedWaitCapMs, () => process.ppid === spawner);
  const output = relay(hub, proc, { ptyMaster, log, openStdin: spec.openStdin, stdinOnce: spec.stdinOnce });
  const code = await proc.exited;
  // Outside a PID namespace of its own its first process's end ends nothing else, as PID 1's would:
  // what it left (holding its output open, too) goes now, as runc does for a shared PID namespace.
  if (spec.pidNamespace) killLeftInCgroup(cgroup);
  await drain(output, ptyMaster !== undefined);
  // Each step is attempted on its own: the exit is recorded whatever failed before it.
  const attempt = async (what: string, fn: () => unknown) => {
    try {
      await fn();
    } catch (e) {
      process.stderr.write(`berth shim: ${what}: ${(e as Error).message}\n`);
    }
  };
  await attempt("writing the log", () => log?.flush());
  Object.assign(state, { status: "exited", finishedAt: nowRfc3339(), exitCode: exitCodeOf(proc, code), oomKilled: cgroup.oomKilled() });
  // What a next run of this container reuses (socket and cgroup paths) is
  // free before state.json says "exited"; the cgroup is removed after that,
  // under a name of its own, so the exit is reported without waiting for it.
  let leftover: Cgroup | undefined;
  await attempt("setting the cgroup aside", () => {
    const aside = openCgroup(join(dirname(spec.cgroupPath), asideName));
    if (aside.takeOver(cgroup)) leftover = aside;
    else cgroup.remove();
  });
  await attempt("closing the attach socket", () => session.close());
  if (ptyMaster !== undefined) await attempt("closing the terminal", () => closeSync(ptyMaster!));
  await attempt("recording the exit", () => writeState(dir, state));
  say("exited");
  if (leftover) await attempt("removing the cgroup", () => leftover!.remove());
  return 0;
}
