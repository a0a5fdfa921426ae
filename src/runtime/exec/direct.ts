// An exec without a terminal, started by the daemon itself: no stage 1
// process. The look-ups are made through the container's root
// (container-files.ts), and the runner, from the daemon's sealed memfd, is
// spawned from the main thread while it is in the container's PID namespace
// (its children land there; the thread itself does not move, and starts no
// thread meanwhile). Its stdio are the daemon's pipes.
import type { ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import type { Duplex } from "node:stream";
import * as c from "../libc.ts";
import { nodeChildProcess } from "../../builtins.ts";
import { openCgroup } from "../cgroups/index.ts";
import { applyOomScoreAdj } from "../init/settings.ts";
import { StartError } from "../start-error.ts";
import type { ExecConfig } from "./config.ts";
import { execProcessOf, exitCodeFrom, type ExecProcess } from "./process.ts";
import { lookUpExec } from "./look-up.ts";
import { containerFiles } from "./container-files.ts";
import { prepareRun, type PreparedRun } from "./runner/prepare.ts";
import type { RunnerProgram } from "./runner/program.ts";

let ownPidNs: number | undefined;

/** Starts `cfg` through the runner at `image`; a failure to start is the result's `exited.failure`. */
export function startDirect(cfg: ExecConfig, image: string): ExecProcess {
  let run: PreparedRun;
  try {
    run = prepareRun(cfg, () => {
      const files = containerFiles(cfg.pid, cfg.cwd || "/");
      try {
        return lookUpExec(cfg, files);
      } finally {
        files.close();
      }
    }, !cfg.detached);
  } catch (e) {
    return failed(e instanceof StartError ? e : new StartError(`exec failed: ${(e as Error).message}`, 126));
  }
  let child: ChildProcess;
  try {
    child = spawnInPidNamespace(cfg.pid, () =>
      nodeChildProcess().spawn(image, [], { stdio: ["pipe", "pipe", "pipe", "pipe", ...run.fds], env: {} }),
    );
  } catch (e) {
    return failed(new StartError(`exec failed: ${(e as Error).message}`, 126));
  } finally {
    run.close();
  }
  if (child.pid === undefined) return failed(new StartError("exec failed: the exec runner could not be started", 126));
  return supervise(cfg, child, run.program);
}

/** Runs `spawn` with this thread's children made in `pid`'s PID namespace. */
function spawnInPidNamespace<T>(pid: number, spawn: () => T): T {
  ownPidNs ??= openSync("/proc/self/ns/pid", "r");
  const target = openSync(`/proc/${pid}/ns/pid`, "r");
  try {
    c.setns(target, c.CLONE.NEWPID);
    try {
      return spawn();
    } finally {
      try {
        c.setns(ownPidNs, c.CLONE.NEWPID);
      } catch (e) {
        // Left there, every process the daemon starts next (shims too) would be born in this container.
        process.stderr.write(`berth: cannot leave a container's PID namespace: ${(e as Error).message}\n`);
        process.exit(70);
      }
    }
  } finally {
    closeSync(target);
  }
}

/** Moves the runner into the container's cgroup, lets it go, and reads its report (nothing: its execve succeeded). */
function supervise(cfg: ExecConfig, child: ChildProcess, program: RunnerProgram): ExecProcess {
  const control = child.stdio[3] as Duplex;
  for (const s of [child.stdin, child.stdout, child.stderr, control]) s?.on("error", () => {});
  const report: Buffer[] = [];
  const reported = new Promise<void>((done) => {
    control.on("data", (d: Buffer) => report.push(d));
    control.on("close", () => done());
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on("close", (code, signal) => done({ code, signal }));
    child.on("error", () => done({ code: 126, signal: null }));
  });
  let early: StartError | undefined;
  try {
    openCgroup(cfg.cgroupPath, {}).addProcess(child.pid!);
  } catch {
    // The container's cgroup is gone (it is exiting); the program fails on its own.
  }
  try {
    applyOomScoreAdj(cfg.oomScoreAdj, child.pid!);
    control.write("go\n");
  } catch (e) {
    early = e as StartError;
    child.kill("SIGKILL");
  }
  const exited = Promise.all([closed, reported]).then(([{ code, signal }]) => {
    if (early) return { exitCode: early.exitCode, failure: early };
    const r = Buffer.concat(report);
    if (r.length) {
      const failure = program.failure(r);
      return { exitCode: failure.exitCode, failure };
    }
    return { exitCode: exitCodeFrom(code, signal) };
  });
  return execProcessOf(child, exited);
}

function failed(failure: StartError): ExecProcess {
  return { pid: 0, exited: Promise.resolve({ exitCode: failure.exitCode, failure }), kill: () => {}, resize: () => {} };
}
