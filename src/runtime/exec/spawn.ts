// Starting stage 2 of an exec inside a running container: the thread joins
// the container's PID namespace just long enough to spawn (children land
// there; the thread itself does not move), the child joins the cgroup, and a
// TTY is made in the container's own devpts so ttyname() works inside.
import { closeSync, openSync, writeSync, constants as fsConstants } from "node:fs";
import * as c from "../libc.ts";
import { openCgroup } from "../cgroups/index.ts";
import { selfCommand } from "../../self.ts";
import { superviseStart } from "../process.ts";
import type { StartError } from "../start-error.ts";
import type { ExecConfig } from "./config.ts";
import { sealSelf } from "./sealed-self.ts";
import { inNetworkOf } from "../userns/start-init.ts";
import { userNamespaceOf } from "../userns/idmapped-mount.ts";
import { enterCommand, giveTerminal } from "../userns/spawn.ts";

type Stdio = "pipe" | "inherit" | "ignore";

export interface ExecStart {
  proc: ReturnType<typeof Bun.spawn>;
  ptyMaster?: number;
  failure?: StartError;
}

export function spawnExec(cfg: ExecConfig, configFile: string, stdio: [Stdio, Stdio, Stdio]): ExecStart {
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
  sealSelf();
  // A remapped container's: stage 2 goes through the starter into its user namespace (fd 4), with
  // the network namespace joined here first, from the host's side that owns a bridge network's.
  const userns = cfg.userns ? userNamespaceOf(cfg.pid) : undefined;
  const command = [...selfCommand(), "__exec-enter", configFile];
  c.setns(target, c.CLONE.NEWPID);
  try {
    const spawn = () => Bun.spawn(cfg.userns ? enterCommand(cfg.userns.starter, command) : command, {
      stdio: [...(slave !== undefined ? [slave, slave, slave] : stdio), "pipe", ...(userns !== undefined ? [userns] : [])] as any,
      env: {},
    });
    proc = cfg.userns ? inNetworkOf(`/proc/${cfg.pid}/ns/net`, spawn) : spawn();
  } finally {
    c.setns(own, c.CLONE.NEWPID);
    closeSync(own);
    closeSync(target);
    if (userns !== undefined) closeSync(userns);
  }
  if (slave !== undefined) closeSync(slave);
  try {
    openCgroup(cfg.cgroupPath, {}).addProcess(proc.pid);
  } catch {
    // The container's cgroup is gone (it is exiting); the program fails on its own.
  }
  const control = proc.stdio[3] as unknown as number;
  writeSync(control, "go\n");
  const failure = superviseStart(control);
  closeSync(control);
  return { proc, ptyMaster: pty?.master, failure };
}
