import type { SeccompProgram } from "../seccomp/install.ts";

// An exec session as the runtime sees it, written by the daemon to a file.
export interface ExecConfig {
  /** Names the exec's socket and state in the container dir (exec-<id>.sock, exec-<id>.json). Default: the file's name. */
  id?: string;
  /** Host PID of the container's init: its namespaces are joined. Default: the pid in state.json. */
  pid: number;
  args: string[];
  env: string[];
  user: string;
  cwd: string;
  tty: boolean;
  /** Keep stdin open (a pipe served to attach clients); without it stdin is /dev/null. */
  openStdin?: boolean;
  privileged: boolean;
  capabilities: string[];
  noNewPrivileges: boolean;
  /** The container's seccomp filter, installed before the execve as in the container's init. */
  seccomp?: SeccompProgram;
  /** The container's cgroup; the exec'd process joins it. */
  cgroupPath: string;
}
