// What the runtime is asked to run: berth's own small subset of the OCI
// runtime spec, written by the daemon as `<container dir>/config.json`.
export interface RuntimeSpec {
  id: string;
  /** Read-only layer directories, topmost first (overlay lowerdir order). */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  /** Where the container's root is assembled. */
  rootfs: string;
  readonlyRootfs: boolean;
  args: string[];
  env: string[];
  cwd: string;
  /** `uid[:gid]` or names, resolved inside the container's /etc/passwd and /etc/group. */
  user: string;
  hostname: string;
  tty: boolean;
  openStdin: boolean;
  /** Close the program's stdin when an attached client ends its stdin (Docker's StdinOnce). */
  stdinOnce: boolean;
  /** "none" (own empty net namespace) or "host". */
  network: "none" | "host";
  /** Files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  binds: { source: string; destination: string; readonly: boolean }[];
  resources: {
    memory?: number;
    memorySwap?: number;
    cpuQuota?: number;
    cpuPeriod?: number;
    cpuShares?: number;
    cpusetCpus?: string;
    pidsLimit?: number;
  };
  rlimits: { type: string; soft: number; hard: number }[];
  /** Capability names without the CAP_ prefix. */
  capabilities: string[];
  noNewPrivileges: boolean;
  privileged: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  /** The json-file log the shim appends to. */
  logPath: string;
  /** The cgroup path under each controller: "berth/<id>". */
  cgroupPath: string;
}

/** Docker's default capability set. */
export const defaultCapabilities = [
  "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
  "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
];

/** Docker's default masked and read-only /proc and /sys paths. */
export const defaultMaskedPaths = [
  "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
];
export const defaultReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];
