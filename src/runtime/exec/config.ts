import type { SeccompProgram } from "../seccomp/install.ts";
import type { RuntimeSpec } from "../spec.ts";

// An exec session as the runtime sees it, written by the daemon to a file.
export interface ExecConfig {
  /** Host PID of the container's init: its namespaces are joined. */
  pid: number;
  args: string[];
  env: string[];
  user: string;
  cwd: string;
  tty: boolean;
  /** The terminal's [rows, columns] from its start (Docker's ConsoleSize). */
  consoleSize?: [number, number];
  privileged: boolean;
  capabilities: string[];
  noNewPrivileges: boolean;
  /** The container's seccomp filter, installed before the execve as in the container's init. */
  seccomp?: SeccompProgram;
  /** The container's --ulimit, --group-add and --oom-score-adj, which runc gives an exec too. */
  rlimits?: RuntimeSpec["rlimits"];
  groupAdd?: string[];
  oomScoreAdj?: number;
  /** The container has a user namespace of its own, entered through this starter (userns/trampoline.ts). */
  userns?: { starter: string };
  /** The exec runner (runner/), which stage 1 starts as stage 2 instead of this executable; not with userns. */
  runner?: string;
  /**
   * No one holds its output (`exec -d`). Started by the daemon itself, it then
   * outlives the daemon, as it outlived the daemon under a stage 1.
   */
  detached?: boolean;
  /** The container's cgroup; the exec'd process joins it. */
  cgroupPath: string;
}
