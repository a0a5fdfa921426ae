// Starting stage 2 of an exec inside a running container: the thread joins
// the container's PID namespace just long enough to spawn (children land
// there; the thread itself does not move), the child joins the cgroup, and a
// TTY is made in the container's own devpts so ttyname() works inside.
import { closeSync, openSync, writeSync, constants as fsConstants } from "node:fs";
import * as c from "../libc.ts";
import { openCgroup } from "../cgroups/index.ts";
import { selfCommand } from "../../self.ts";
import { superviseStart } from "../process.ts";
import { StartError } from "../start-error.ts";
import { applyOomScoreAdj } from "../init/settings.ts";
import { lookUpInside, prepareRun, readReport, type PreparedRun } from "./runner/prepare.ts";
import type { ExecConfig } from "./config.ts";
import { sealFile, sealSelf } from "./sealed-self.ts";
import { inNetworkOf } from "../userns/start-init.ts";
import { userNamespaceOf } from "../userns/idmapped-mount.ts";
import { enterCommand, giveTerminal } from "../userns/spawn.ts";

type Stdio = "pipe" | "inherit" | "ignore";

export interface ExecStart {
  /** Absent when the exec failed before a process was started. */
  proc?: ReturnType<typeof Bun.spawn>;
  ptyMaster?: number;
  failure?: StartError;
}

export function spawnExec(cfg: ExecConfig, configFile: string, stdio: [Stdio, Stdio, Stdio]): ExecStart {
  sealSelf();
  // With the runner, stage 2 is a few system calls (runner/): no second Bun process starts.
  let run: PreparedRun | undefined;
  if (cfg.runner) {
    try {
      sealFile(cfg.runner);
      run = prepareRun(cfg, lookUpInside(cfg));
    } catch (e) {
      if (e instanceof StartError) return { failure: e };
      return { failure: new StartError(`exec failed: ${(e as Error).message}`, 126) };
    }
  }
  const target = openSync(`/proc/${cfg.pid}/ns/pid`, "r");
  const own = openSync("/proc/self/ns/pid", "r");
  let pty: { master: number; slavePath: string } | undefined;
  let slave: number | undefined;
  if (cfg.tty) {
    const root = `/proc/${cfg.pid}/root`;
    pty = c.openPty(`${root}/dev/pts/ptmx`);
    if (cfg.consoleSize) c.setWindowSize(pty.master, ...cfg.consoleSize);
    slave = openSync(`${root}${pty.slavePath}`, fsConstants.O_RDWR | fsConstants.O_NOCTTY);
    // The terminal is the container root's (group tty) as in a container started with one, not the unmapped host root's.
    if (cfg.userns) giveTerminal(cfg.pid, `${root}${pty.slavePath}`);
  }
  let proc: ReturnType<typeof Bun.spawn>;
  // A remapped container's: stage 2 goes through the starter into its user namespace (fd 4), with
  // the network namespace joined here first, from the host's side that owns a bridge network's.
  const userns = cfg.userns ? userNamespaceOf(cfg.pid) : undefined;
  const command = run ? [cfg.runner!] : [...selfCommand(), "__exec-enter", configFile];
  const extra = run ? run.fds : userns !== undefined ? [userns] : [];
  c.setns(target, c.CLONE.NEWPID);
  try {
    const spawn = () => Bun.spawn(cfg.userns ? enterCommand(cfg.userns.starter, command) : command, {
      stdio: [...(slave !== undefined ? [slave, slave, slave] : stdio), "pipe", ...extra] as any,
      env: {},
    });
    proc = cfg.userns ? inNetworkOf(`/proc/${cfg.pid}/ns/net`, spawn) : spawn();
  } finally {
    c.setns(own, c.CLONE.NEWPID);
    closeSync(own);
    closeSync(target);
    if (userns !== undefined) closeSync(userns);
    run?.close();
  }
  if (slave !== undefined) closeSync(slave);
  try {
    openCgroup(cfg.cgroupPath, {}).addProcess(proc.pid);
  } catch {
    // The container's cgroup is gone (it is exiting); the program fails on its own.
  }
  const control = proc.stdio[3] as unknown as number;
  let failure: StartError | undefined;
  if (run) {
    // What the TypeScript stage 2 sets itself after its namespaces; a process's score is set from outside as well.
    try {
      applyOomScoreAdj(cfg.oomScoreAdj, proc.pid);
    } catch (e) {
      proc.kill(9);
      closeSync(control);
      return { proc, ptyMaster: pty?.master, failure: e as StartError };
    }
  }
  writeSync(control, "go\n");
  if (run) {
    const report = readReport(control);
    if (report.length) failure = run.program.failure(report);
  } else failure = superviseStart(control);
  closeSync(control);
  return { proc, ptyMaster: pty?.master, failure };
}
