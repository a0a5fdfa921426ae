// The engine's side of the runtime: spawns a detached shim per container run,
// reads the state it records, and talks to its attach socket.
import type { ChildProcess } from "node:child_process";
import { nodeChildProcess, nodeNet } from "../../builtins.ts";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from "node:fs";
import type net from "node:net";
import { join } from "node:path";
import { selfCommand } from "../../self.ts";
import { readState, statePath } from "../../runtime/shim/state.ts";
import { cgroupVersion } from "../../runtime/cgroups.ts";
import { cgroupParent, openCgroup, setCgroupParent, sweepOrphanCgroups } from "../../runtime/cgroups/index.ts";
import { mount, setProcessNice, umount2 } from "../../runtime/libc.ts";
import type { RuntimeDriver, RuntimeExit, RuntimeStatus } from "./driver.ts";
import type { DaemonConfig } from "../../shared/daemon-config.ts";
import { BerthError } from "../../errors.ts";
import { refillSoon } from "./standby-refill.ts";
import { primeCgroupMove } from "../../runtime/cgroups/prime-move.ts";

/** The standby shim's nice value until it has work. */
const standbyNice = 10;

/** Thrown when the container's program could not be started; carries Docker's exit code. */
export class StartFailure extends BerthError {
  constructor(message: string, readonly exitCode: number) {
    // A program the image cannot run is the caller's problem (400), as in dockerd.
    super(message, exitCode === 126 || exitCode === 127 ? 400 : 500);
  }
}

function overlaySupported(scratch: string): boolean {
  const base = mkdtempSync(join(scratch, "overlay-check-"));
  const dirs = ["lower", "upper", "work", "merged"].map((d) => join(base, d));
  for (const d of dirs) mkdirSync(d);
  try {
    mount("overlay", dirs[3]!, "overlay", 0, `lowerdir=${dirs[0]},upperdir=${dirs[1]},workdir=${dirs[2]}`);
    umount2(dirs[3]!, 2);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class ShimDriver implements RuntimeDriver {
  readonly storageDriver: string;
  readonly cgroupVersion = cgroupVersion();
  readonly warnings: string[] = [];

  constructor(readonly execRoot: string, dataRoot: string) {
    mkdirSync(join(execRoot, "s"), { recursive: true, mode: 0o700 });
    // BERTH_STORAGE_DRIVER=vfs forces the copied-rootfs fallback (for tests and odd hosts).
    const overlay = process.env.BERTH_STORAGE_DRIVER !== "vfs" && overlaySupported(join(dataRoot, "tmp"));
    this.storageDriver = overlay ? "overlay2" : "vfs";
    if (!overlay) this.warnings.push("overlayfs is not available: each container gets a full copy of its image's files (storage driver vfs)");
  }

  /** A shim already loaded and waiting for its arguments (see src/runtime/shim/standby.ts). */
  private standby?: ChildProcess;
  private closed = false;

  private spawnShim(argv?: string[]): ChildProcess {
    const [cmd, ...pre] = selfCommand();
    return nodeChildProcess().spawn(cmd!, [...pre, "__shim", ...(argv ?? ["--standby", join(this.execRoot, "s"), cgroupParent()])], {
      detached: true,
      stdio: [argv ? "ignore" : "pipe", "pipe", "ignore"],
      cwd: "/",
    });
  }

  /** The standby shim with these arguments (a fresh one is made ready behind it), or a cold one. */
  private takeShim(argv: string[]): ChildProcess {
    const ready = this.standby;
    this.standby = undefined;
    if (this.warm) refillSoon(() => this.refill());
    if (ready && ready.exitCode === null && ready.signalCode === null && ready.stdin?.writable) {
      ready.stdin.end(JSON.stringify(argv) + "\n");
      return ready;
    }
    ready?.stdin?.end();
    // A shim started now moves its stage 2 into a cgroup in a few ms: start that grace period here.
    primeCgroupMove();
    return this.spawnShim(argv);
  }

  private refill(): void {
    if (this.standby || this.closed) return;
    const s = this.spawnShim();
    // It boots beside a container start that needs the CPU more; it takes normal priority with its work.
    if (s.pid) setProcessNice(s.pid, standbyNice);
    s.stdin!.on("error", () => {});
    s.once("exit", () => {
      if (this.standby === s) this.standby = undefined;
    });
    // Nothing is read from a standby until it has work; its stdout stays ours.
    s.unref();
    (s.stdout as net.Socket | null)?.unref?.();
    (s.stdin as net.Socket | null)?.unref?.();
    this.standby = s;
  }

  /** Keep a standby shim ready from now on. */
  keepWarm(): void {
    sweepOrphanCgroups();
    // Sockets of standbys that died without cleaning up (killed with the daemon's process group).
    const dir = join(this.execRoot, "s");
    for (const name of readdirSync(dir)) {
      const pid = /^standby-(\d+)\.sock$/.exec(name)?.[1];
      if (pid && !isAlive(Number(pid))) rmSync(join(dir, name), { force: true });
    }
    this.warm = true;
    this.refill();
  }
  private warm = false;

  /** Stops the standby (daemon shutdown); running containers are not touched. */
  close(): void {
    this.closed = true;
    // Ending its stdin lets the standby remove its cgroup before it exits.
    this.standby?.stdin?.end();
    this.standby = undefined;
  }

  /**
   * What a container's shim removes when the container ends — its attach
   * socket and its cgroup — left behind by a shim that died (killed, or
   * crashed), with whatever still ran in the cgroup: for a container being removed.
   */
  discardLeftovers(dir: string, cgroupPath: string): void {
    rmSync(this.socketPath(dir), { force: true });
    try {
      const cg = openCgroup(cgroupPath, {});
      if (cg.exists()) cg.remove();
    } catch {
      // A process in it that would not die keeps it; the host's cgroup tree still shows it.
    }
  }

  socketPath(dir: string): string {
    // Socket paths are limited to 108 bytes: name it by a short hash of the directory.
    const key = new Bun.CryptoHasher("sha256").update(dir).digest("hex").slice(0, 16);
    return join(this.execRoot, "s", `${key}.sock`);
  }

  async start(dir: string, spec: unknown, attachments: ((sock: net.Socket) => void)[] = []): Promise<RuntimeStatus> {
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec));
    rmSync(statePath(dir), { force: true });
    const sock = this.socketPath(dir);
    const shim = this.takeShim([dir, sock, String(attachments.length)]);
    const lines = readLines(shim.stdout!);
    const first = await lines.next();
    if (first.value !== "listening") {
      throw new StartFailure(`container shim failed to start (${first.value ?? "no answer"})`, 125);
    }
    // A standby answers at once: its socket already listened and only took the container's name.
    for (const attach of attachments) attach(nodeNet().connect({ path: sock, allowHalfOpen: true }));
    const second = await lines.next();
    shim.unref();
    (shim.stdout as net.Socket).unref?.();
    const line: string = second.value ?? "";
    if (line.startsWith("started ")) void this.followExit(dir, lines, shim);
    else shim.stdout!.destroy();
    if (line.startsWith("failed ")) {
      const err = JSON.parse(line.slice(7));
      throw new StartFailure(err.message, err.code);
    }
    if (!line.startsWith("started ")) throw new StartFailure(`container shim failed: ${line || "no answer"}`, 125);
    return this.status(dir)!;
  }

  /** Wakes `waitExit` callers of `dir` (the shim reports "exited", or its stdout ends with it). */
  private exitWakers = new Map<string, Set<() => void>>();

  private async followExit(dir: string, lines: AsyncGenerator<string>, shim: ChildProcess): Promise<void> {
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
    } catch {}
    shim.stdout!.destroy();
    if (!reported) {
      // The shim died before its report: what it set aside (an exited-<pid> cgroup) goes once it is reaped.
      if (shim.exitCode !== null || shim.signalCode !== null) sweepOrphanCgroups();
      else shim.once("exit", () => sweepOrphanCgroups());
    }
    for (const wake of this.exitWakers.get(dir) ?? []) wake();
  }

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

  signal(dir: string, signal: string | number): void {
    const s = readState(dir);
    if (!s || s.status !== "running") return;
    process.kill(s.pid, typeof signal === "number" ? signal : (signal.startsWith("SIG") ? signal : `SIG${signal}`) as NodeJS.Signals);
  }

  connect(dir: string): net.Socket {
    return nodeNet().connect({ path: this.socketPath(dir), allowHalfOpen: true });
  }

  async waitExit(dir: string, abort?: AbortSignal): Promise<RuntimeExit> {
    for (;;) {
      // Watch first, then look: a change between the two would otherwise go unseen until the poll.
      let wake!: () => void;
      const changed = new Promise<void>((resolve) => (wake = resolve));
      let w: ReturnType<typeof watch> | undefined;
      try {
        w = watch(dir, () => wake());
      } catch {}
      const t = setTimeout(() => wake(), 200);
      abort?.addEventListener("abort", () => wake(), { once: true });
      // The shim we started says when it is done; the watch and the poll cover the others (adopted after a restart).
      const wakers = this.exitWakers.get(dir) ?? new Set();
      this.exitWakers.set(dir, wakers.add(wake));
      try {
        const st = this.status(dir);
        if (!st) throw new Error("container has no runtime state");
        if (st.exit) return st.exit;
        if (abort?.aborted) throw new Error("aborted");
        await changed;
      } finally {
        clearTimeout(t);
        w?.close();
        wakers.delete(wake);
        if (!wakers.size && this.exitWakers.get(dir) === wakers) this.exitWakers.delete(dir);
      }
    }
  }
}

async function* readLines(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream) {
    buf += chunk.toString();
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf) yield buf;
}

export async function createRuntimeDriver(config: DaemonConfig): Promise<ShimDriver> {
  if (!existsSync(config.execRoot)) mkdirSync(config.execRoot, { recursive: true, mode: 0o711 });
  setCgroupParent(config.cgroupParent);
  return new ShimDriver(config.execRoot, config.dataRoot);
}
