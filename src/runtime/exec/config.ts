// An exec session as the runtime sees it, written by the daemon to a file.
export interface ExecConfig {
  /** Host PID of the container's init: its namespaces are joined. */
  pid: number;
  args: string[];
  env: string[];
  user: string;
  cwd: string;
  tty: boolean;
  privileged: boolean;
  capabilities: string[];
  noNewPrivileges: boolean;
  cgroupPath: string;
}
