// The daemon's door into the runtime: it starts a container's detached shim
// (a standby one when there is one), follows its report until the exit,
// signals, stops, pauses, resizes and measures the container, and starts
// execs in it. Everything works from the container's directory, so a
// restarted daemon adopts what an earlier one started.
import type { ChildProcess } from "node:child_process";
import { nodeChildProcess, nodeNet } from "../../builtins.ts";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import type net from "node:net";
import { basename, join } from "node:path";
import { selfCommand } from "../../self.ts";
import { readState, statePath } from "../shim/state.ts";
import { signalNumber } from "../shim/session.ts";
import { cgroupParent, cgroupVersion, containerCgroupPath, openCgroup, setCgroupParent, sweepOrphanCgroups, type Cgroup, type CgroupStats } from "../cgroups/index.ts";
import { primeCgroupMove } from "../cgroups/prime-move.ts";
import { setProcessNice } from "../libc.ts";
import { resolveSpec, type RuntimeSpec } from "../spec.ts";
import { StartError } from "../start-error.ts";
import { ExecStarter } from "../exec/starter.ts";
import type { DaemonConfig } from "../../shared/daemon-config.ts";
import type { RuntimeExit, RuntimeStatus } from "./status.ts";
import { StandbyPool } from "./standby-pool.ts";
import { overlaySupported } from "./overlay-check.ts";
import { mountTable, mountsDifferFor } from "../host-mounts.ts";
import { readLines } from "./line-reader.ts";
import { ShimChannel } from "./shim-channel.ts";
import type { UserNamespace } from "../userns/id-map.ts";
import { installStarter, starterSupported } from "../userns/trampoline.ts";
import { installRunner } from "../exec/runner/code.ts";
import { setStarterPath } from "../userns/spawn.ts";
import { remappedRoot, type RemapIdentity } from "../userns/remap.ts";
import { openDataRootTo } from "../userns/data-root.ts";
import { idmappedOverlayProblem } from "../userns/probe.ts";

/** The standby shim's nice value until it has work. */
const standbyNice = 10;
/**
 * Standby shims kept at most, while starts come faster than one prepares (each idle one is
 * ~7 MB PSS with its stage 2), and how long without a start before the daemon keeps one again.
 */
const standbyMax = 4;
const standbyIdleMs = 1000;
/**
 * Containers one group shim runs at most (src/runtime/shim/group.ts): a shim is ~5 MB of its
 * own and a container in it little, but a shim that dies takes all of its containers along.
 */
const containersPerShim = 10;
/** Containers one group shim is given in its life, so that nothing it holds per container can grow without bound. */
const containersPerShimLife = 200;

/** A group shim: loaded, waiting on stdin for containers, running those it was given. */
interface Standby {
  proc: ChildProcess;
  /**
   * The daemon's mount table when the shim started preparing its stage 2 (at its start, then
   * after each container it took): that stage 2's mount namespace is a copy from about then.
   */
  mounts: string;
  channel: ShimChannel;
  /** Containers given to it so far (tags are unique per shim). */
  given: number;
  /** Containers it runs now (given, not yet reported exited). */
  running: number;
  /** Starts given to it that have not reported "started" or "failed" yet. */
  starting: number;
}

/** A shim's report of one container's start and exit. */
interface Assigned {
  proc: ChildProcess;
  lines: AsyncGenerator<string>;
  /** The start is over ("started" or "failed" came). */
  started(): void;
  /** Done with the report (the exit, or a failed start). */
  close(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface RuntimeOptions {
  /** How to run berth (default: this executable, or bun and the entry script from source). */
  command?: string[];
}

export class Runtime {
  readonly storageDriver: string;
  readonly cgroupVersion = cgroupVersion();
  /** Things `info` should warn about. */
  readonly warnings: string[] = [];
  /** Execs in running containers. */
  readonly execs: ExecStarter;
  /** The daemon's --userns-remap mapping, given to each container that does not ask for the host's (--userns=host). */
  userns?: UserNamespace;
  private readonly command: string[];

  constructor(readonly execRoot: string, dataRoot: string, o: RuntimeOptions = {}) {
    this.command = o.command ?? selfCommand();
    this.execs = new ExecStarter(this.command);
    mkdirSync(join(execRoot, "s"), { recursive: true, mode: 0o700 });
    // BERTH_STORAGE_DRIVER=vfs forces the copied-rootfs fallback (for tests and odd hosts).
    const overlay = process.env.BERTH_STORAGE_DRIVER !== "vfs" && overlaySupported(join(dataRoot, "tmp"));
    this.storageDriver = overlay ? "overlay2" : "vfs";
    if (!overlay) this.warnings.push("overlayfs is not available: each container gets a full copy of its image's files (storage driver vfs)");
  }

  /** Shims already loaded and waiting for their arguments (see src/runtime/shim/standby.ts). */
  private readonly standbys = new StandbyPool<Standby>({
    make: () => this.makeStandby(),
    usable: (s) => s.proc.exitCode === null && s.proc.signalCode === null && !!s.proc.stdin?.writable,
    // Its attach socket is the last thing a standby makes before it waits.
    ready: (s) => existsSync(join(this.execRoot, "s", `standby-${s.proc.pid}.sock`)),
    busy: (s) => s.starting > 0,
    // Ending its stdin lets the standby remove its cgroup before it exits.
    discard: (s) => s.proc.stdin?.end(),
    max: standbyMax,
    idleMs: standbyIdleMs,
  });
  /** The exit report of each run this daemon started, by container directory: resolves once the shim is done. */
  private followed = new Map<string, Promise<void>>();

  private spawnShim(argv?: string[]): ChildProcess {
    const [cmd, ...pre] = this.command;
    return nodeChildProcess().spawn(cmd!, [...pre, "__shim", ...(argv ?? ["--standby", join(this.execRoot, "s"), cgroupParent()])], {
      detached: true,
      stdio: [argv ? "ignore" : "pipe", "pipe", "ignore"],
      cwd: "/",
    });
  }

  /**
   * A group shim given these arguments (the pool makes the next ones behind it), or a shim of
   * the container's own: always for `cold`, whose container needs a mount namespace copied from the host's now.
   */
  private takeShim(argv: string[], cold = false, fresh: (s: Standby) => boolean = () => true): Assigned {
    // A group shim starts several containers at once: any waiting one has room (a full one is not given back).
    // Only stale ones waiting: a cold start, which says nothing of how fast starts come (the pool does not grow for it).
    const stale = this.standbys.idle.length > 0 && !this.standbys.idle.some(fresh);
    if (!cold && !stale) {
      // None waiting (a burst filled them): a new group shim for this start and the next ones,
      // rather than a shim of this container's own (a Bun process booted for one container).
      const shim = this.standbys.take(fresh) ?? (this.standbys.accepting ? this.makeStandby(false) : undefined);
      if (shim) return this.assign(shim, argv);
    }
    // A shim started now moves its stage 2 into a cgroup in a few ms: start that grace period here.
    primeCgroupMove();
    const proc = this.spawnShim(argv);
    return { proc, lines: readLines(proc.stdout!), started: () => {}, close: () => proc.stdout!.destroy() };
  }

  /** Gives the container of `argv` to group shim `shim`, which then waits for more unless it is full. */
  private assign(shim: Standby, argv: string[]): Assigned {
    const tag = String(++shim.given);
    const report = shim.channel.open(tag);
    shim.running++;
    shim.starting++;
    shim.proc.stdin!.write(JSON.stringify({ tag, argv }) + "\n");
    // Its next stage 2 is made after this, from the mounts as they are now or later.
    shim.mounts = mountTable();
    // Full, it is sent no more and ends after its last container; else it waits for the next one.
    if (shim.running < containersPerShim && shim.given < containersPerShimLife) this.standbys.giveBack(shim);
    else shim.proc.stdin!.end();
    let [starting, closed] = [true, false];
    const started = () => {
      if (starting) shim.starting--;
      starting = false;
    };
    return {
      proc: shim.proc,
      lines: report.lines,
      started,
      close: () => {
        started();
        if (closed) return;
        closed = true;
        shim.running--;
        report.close();
      },
    };
  }

  /** A group shim, booted at a low priority when it is made ahead of need (`idle`), at the start's own when a start waits for it. */
  private makeStandby(idle = true): Standby {
    const proc = this.spawnShim();
    const s: Standby = { proc, mounts: mountTable(), channel: new ShimChannel(proc.stdout!), given: 0, running: 0, starting: 0 };
    // It boots beside a container start that needs the CPU more; it takes normal priority with its work.
    if (idle && s.proc.pid) setProcessNice(s.proc.pid, standbyNice);
    // A standby that died is passed over at the next take; its pipe's error says nothing more.
    s.proc.stdin!.on("error", () => {});
    s.proc.once("exit", () => {
      this.standbys.forget(s);
      // A shim killed with its stage 2 prepared leaves that stage 2's socket under the standby's name (keepWarm sweeps only at the daemon's start).
      if (s.proc.pid) rmSync(join(this.execRoot, "s", `standby-${s.proc.pid}.sock`), { force: true });
    });
    // Its report is read from the start (nothing comes before work); its stdout stays ours.
    s.proc.unref();
    (s.proc.stdout as net.Socket | null)?.unref?.();
    (s.proc.stdin as net.Socket | null)?.unref?.();
    return s;
  }

  /** Keep a standby shim and exec stage 1 ready from now on. */
  keepWarm(): void {
    sweepOrphanCgroups();
    // Sockets of standbys that died without cleaning up (killed with the daemon's process group).
    const dir = join(this.execRoot, "s");
    for (const name of readdirSync(dir)) {
      const pid = /^standby-(\d+)\.sock$/.exec(name)?.[1];
      if (pid && !isAlive(Number(pid))) rmSync(join(dir, name), { force: true });
    }
    this.standbys.start();
    this.execs.keepWarm();
  }

  /** Stops the standbys (daemon shutdown); running containers are not touched. */
  close(): void {
    this.standbys.close();
    this.execs.close();
  }

  socketPath(dir: string): string {
    return shimSocketPath(this.execRoot, dir);
  }

  /**
   * Runs the container of `dir` with `spec` (written there as config.json). Resolves once the
   * user's program runs; throws StartError otherwise. `attachments` are connected before the
   * program starts, so they see all its output.
   */
  async start(dir: string, spec: RuntimeSpec, attachments: ((sock: net.Socket) => void)[] = []): Promise<RuntimeStatus> {
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec));
    rmSync(statePath(dir), { force: true });
    const sock = this.socketPath(dir);
    // A bind whose source's mounts changed since a shim prepared its stage 2 would show it stale there:
    // such a shim is passed over (none left, the start is cold).
    const binds = spec.binds.filter((b) => !b.type).map((b) => b.source);
    // The mount table is read only when there are binds to check: a start without them needs none of it.
    const now = binds.length ? mountTable() : "";
    const fresh = (s: Standby) => !binds.length || !mountsDifferFor(binds, s.mounts, now);
    const shim = this.takeShim([dir, sock, String(attachments.length)], spec.freshMountNamespace || spec.utsHost || spec.ipc === "host" || !!spec.shmSource || !!spec.pidNamespace, fresh);
    const { lines } = shim;
    const first = await lines.next();
    if (first.value !== "listening") {
      shim.close();
      throw new StartError(`container shim failed to start (${first.value ?? "no answer"})`, 125);
    }
    // A standby answers at once: its socket already listened and only took the container's name.
    for (const attach of attachments) attach(nodeNet().connect({ path: sock, allowHalfOpen: true }));
    const second = await lines.next();
    shim.started();
    shim.proc.unref();
    (shim.proc.stdout as net.Socket).unref?.();
    const line: string = second.value ?? "";
    if (line.startsWith("started ")) this.followed.set(dir, this.followExit(dir, shim));
    else shim.close();
    if (line.startsWith("failed ")) throw StartError.fromReport(line.slice(7));
    if (!line.startsWith("started ")) throw new StartError(`container shim failed: ${line || "no answer"}`, 125);
    return this.status(dir)!;
  }

  /** Resolves when the shim reports the exit, or, dead before its report, once it has been reaped. */
  private async followExit(dir: string, assigned: Assigned): Promise<void> {
    const { lines, proc: shim } = assigned;
    let reported = false;
    try {
      for (;;) {
        const next = await lines.next();
        if (next.done) break;
        if (next.value === "exited") {
          reported = true;
          break;
        }
      }
    } catch {
      // A read error is the pipe's end: the shim is gone, handled as one dead before its report.
    }
    assigned.close();
    if (!reported) {
      // Reaped, status() sees it dead; what it set aside (an exited-<pid> cgroup) can go then.
      if (shim.exitCode === null && shim.signalCode === null) await new Promise((resolve) => shim.once("exit", resolve));
      sweepOrphanCgroups();
    }
    this.followed.delete(dir);
  }

  /** The state recorded in the directory, or undefined when never started. */
  status(dir: string): RuntimeStatus | undefined {
    const s = readState(dir);
    if (!s) return undefined;
    if (s.status === "running" && !isAlive(s.shimPid)) {
      // The shim died without recording the end: the container is gone with it.
      return { running: false, pid: 0, startedAt: s.startedAt, exit: { exitCode: 137, oomKilled: false, finishedAt: new Date().toISOString(), error: "container shim exited unexpectedly" } };
    }
    return {
      running: s.status === "running",
      paused: s.paused,
      pid: s.pid,
      startedAt: s.startedAt,
      exit: s.status === "exited" ? { exitCode: s.exitCode ?? 0, oomKilled: !!s.oomKilled, finishedAt: s.finishedAt!, error: s.error } : undefined,
    };
  }

  /** Sends a signal ("SIGTERM", "TERM", "15", 9) to the container's PID 1. */
  signal(dir: string, signal: string | number): void {
    const s = readState(dir);
    if (!s || s.status !== "running") return;
    process.kill(s.pid, signalNumber(signal));
  }

  /** A signal as `docker kill` sends it: a frozen container is thawed to take it, as dockerd does. */
  kill(dir: string, signal: string | number): void {
    this.signal(dir, signal);
    this.thaw(dir);
  }

  /** `docker stop`: the signal, then SIGKILL after `timeoutSec`. Resolves with the exit. */
  async stop(dir: string, signal: string, timeoutSec: number): Promise<RuntimeExit> {
    const exited = this.waitExit(dir);
    try {
      this.kill(dir, signal);
    } catch {
      // It exited meanwhile: the wait has its exit.
    }
    const done = await Promise.race([exited.then(() => true), Bun.sleep(timeoutSec * 1000).then(() => false)]);
    if (!done) {
      try {
        this.kill(dir, "SIGKILL");
      } catch {
        // It exited meanwhile, as wanted.
      }
    }
    return exited;
  }

  /** A connection to the running container's attach socket. */
  connect(dir: string): net.Socket {
    return nodeNet().connect({ path: this.socketPath(dir), allowHalfOpen: true });
  }

  /** Sets the size of the container's terminal. */
  resize(dir: string, rows: number, cols: number): void {
    const sock = this.connect(dir);
    // A container that ended meanwhile has no terminal to size.
    sock.on("error", () => {});
    sock.end(JSON.stringify({ resize: [rows, cols] }) + "\n");
  }

  /**
   * Resolves with the exit once the container's program has exited. A run this daemon started
   * ends with its shim's report; one adopted after a restart is watched in its directory.
   */
  async waitExit(dir: string, abort?: AbortSignal): Promise<RuntimeExit> {
    for (;;) {
      const report = this.followed.get(dir);
      if (report) {
        const st = this.status(dir);
        if (st?.exit) return st.exit;
        if (abort?.aborted) throw new Error("aborted");
        await (abort ? Promise.race([report, new Promise((resolve) => abort.addEventListener("abort", resolve, { once: true }))]) : report);
        continue;
      }
      const exit = await this.watchForExit(dir, abort);
      if (exit) return exit;
    }
  }

  /** One look at an adopted run's directory, waiting for a change or a moment; its exit, if it has one. */
  private async watchForExit(dir: string, abort?: AbortSignal): Promise<RuntimeExit | undefined> {
    // Watch first, then look: a change between the two would otherwise go unseen until the poll.
    let wake!: () => void;
    const changed = new Promise<void>((resolve) => (wake = resolve));
    let w: ReturnType<typeof watch> | undefined;
    try {
      w = watch(dir, () => wake());
    } catch {
      // No watch on this directory: the poll below still sees the exit.
    }
    const t = setTimeout(() => wake(), 200);
    abort?.addEventListener("abort", () => wake(), { once: true });
    try {
      const st = this.status(dir);
      if (!st) throw new Error("container has no runtime state");
      if (st.exit) return st.exit;
      if (abort?.aborted) throw new Error("aborted");
      await changed;
      return undefined;
    } finally {
      clearTimeout(t);
      w?.close();
    }
  }

  /** The cgroup its last start recorded in config.json, or, never started, the one a start would make (by the directory's name, the container's ID). */
  private cgroupOf(dir: string, resources?: RuntimeSpec["resources"]): Cgroup {
    let spec: RuntimeSpec | undefined;
    try {
      spec = resolveSpec(dir, JSON.parse(readFileSync(join(dir, "config.json"), "utf8")));
    } catch {
      // No config: never started.
    }
    return openCgroup(spec?.cgroupPath ?? containerCgroupPath(basename(dir)), resources ?? spec?.resources ?? {});
  }

  pause(dir: string): void {
    this.cgroupOf(dir).freeze(true);
  }

  unpause(dir: string): void {
    this.cgroupOf(dir).freeze(false);
  }

  /** Unfreezes a paused container (a signal reaches a frozen process only once thawed). */
  private thaw(dir: string): void {
    try {
      const cg = this.cgroupOf(dir);
      if (cg.frozen()) cg.freeze(false);
    } catch {
      // Its cgroup is gone with the container: nothing is frozen.
    }
  }

  isPaused(dir: string): boolean {
    return this.cgroupOf(dir).frozen();
  }

  /** Its cgroup's counters (zeros for a container not running). */
  stats(dir: string): CgroupStats {
    return this.cgroupOf(dir).stats();
  }

  /** The processes in the container's cgroup (none when it has no cgroup). */
  pids(dir: string): number[] {
    try {
      return this.cgroupOf(dir).pids();
    } catch {
      return []; // no cgroup: nothing runs there
    }
  }

  /** Applies new limits to a running container (docker update). */
  updateResources(dir: string, resources: RuntimeSpec["resources"]): void {
    this.cgroupOf(dir, resources).create();
  }

  /**
   * For a container being removed: what its shim removes when the container ends — its attach
   * socket and its cgroup — left behind by a shim that died, with whatever still ran in the cgroup.
   */
  discardLeftovers(dir: string): void {
    rmSync(this.socketPath(dir), { force: true });
    try {
      const cg = this.cgroupOf(dir);
      if (cg.exists()) cg.remove();
    } catch {
      // A process in it that would not die keeps it; the host's cgroup tree still shows it.
    }
  }
}

/** The runtime for a daemon's configuration (its exec-root and cgroup parent; with `remap`, resolved by startDaemon, its user namespaces). */
export function createRuntime(config: DaemonConfig, remap?: RemapIdentity): Runtime {
  if (!existsSync(config.execRoot)) mkdirSync(config.execRoot, { recursive: true, mode: 0o711 });
  setCgroupParent(config.cgroupParent);
  const runtime = new Runtime(config.execRoot, config.dataRoot);
  // Written always: a daemon started without --userns-remap still enters the remapped containers it adopts.
  const starter = starterSupported() ? join(config.execRoot, "userns-starter") : undefined;
  if (starter) {
    installStarter(starter);
    setStarterPath(starter);
  }
  installRunner(join(config.execRoot, "exec-runner"));
  if (remap) {
    if (!starter) throw new Error(`user namespaces are not supported by this engine on ${process.arch}`);
    openDataRootTo(config.dataRoot, remappedRoot(remap));
    const userns: UserNamespace = { uidMap: remap.uidMap, gidMap: remap.gidMap, starter };
    // Without idmapped layers (Linux before 5.19, or a data root whose filesystem refuses them), each layer is copied once per mapping, chowned, as dockerd does;
    // with copied roots (vfs), each container's copy is made chowned.
    const overlay = runtime.storageDriver === "overlay2";
    const problem = idmappedOverlayProblem(join(config.dataRoot, "tmp"), userns, overlay);
    if (problem) {
      userns.chownedLayers = problem;
      runtime.warnings.push(
        overlay
          ? `overlayfs refused idmapped layers (${problem}): remapped containers get a chowned copy of each image layer`
          : `the data root refused idmapped mounts (${problem}): each remapped container's copy of its image is chowned into the mapping`,
      );
    }
    runtime.userns = userns;
  }
  return runtime;
}

/** Where the shim of the container in `dir` listens (from its start until its container ends): under the exec root, named by a short hash of `dir`, as socket paths are limited to 108 bytes. */
export function shimSocketPath(execRoot: string, dir: string): string {
  const key = new Bun.CryptoHasher("sha256").update(dir).digest("hex").slice(0, 16);
  return join(execRoot, "s", `${key}.sock`);
}
