// What the runtime is asked to run: berth's own small subset of the OCI
// runtime spec, written by the daemon as `<container dir>/config.json`.
import { join } from "node:path";
import type { LogRotation } from "./shim/log.ts";
import type { Resources } from "./cgroups/types.ts";
import { containerCgroupPath } from "./cgroups/container-path.ts";
import { containerDeviceRules } from "./devices/rules.ts";
import type { DeviceNode } from "./devices/nodes.ts";
import type { SeccompProgram } from "./seccomp/install.ts";
import type { UserNamespace } from "./userns/id-map.ts";

export interface BindMount {
  source: string;
  destination: string;
  readonly: boolean;
  /** A filesystem made for the container ("tmpfs", or a volume's own type); absent: a bind of `source`. */
  type?: string;
  /** Mount options of a filesystem: flags (noexec, ro…) and data (size=, mode=…). */
  options?: string[];
  /** A bind's propagation: rprivate (default), private, rshared, shared, rslave, slave. */
  propagation?: string;
  /** Only the source's own mount, not those under it (`bind-recursive=disabled`). */
  nonRecursive?: boolean;
  /** First copy what the image has at the destination into the (empty) source: a new volume's copy-up. */
  copyUp?: boolean;
}

export interface RuntimeSpec {
  id: string;
  /**
   * Read-only layer directories, TOPMOST FIRST (overlay's lowerdir order; the
   * reverse of an image's layer list). Empty: `upperDir` is a complete rootfs
   * (a copy of the layers, when overlayfs is unavailable) bind-mounted as is.
   */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  /** Where the container's root is assembled (inside its own mount namespace only). Default `<dir>/rootfs`. */
  rootfs: string;
  readonlyRootfs: boolean;
  /**
   * The writable layer goes with the container's exit (`--rm`): overlay may
   * skip syncing it (its `volatile` option), which an exit otherwise waits for.
   */
  ephemeral?: boolean;
  args: string[];
  env: string[];
  cwd: string;
  /** `uid[:gid]` or names, resolved inside the container's /etc/passwd and /etc/group ("" = root). */
  user: string;
  hostname: string;
  /** The UTS namespace's NIS domain name (Docker's Config.Domainname); unset leaves the kernel's "(none)". */
  domainname?: string;
  tty: boolean;
  /** The terminal's [rows, columns] from its start (Docker's ConsoleSize), else the kernel's 0×0 until a resize. */
  consoleSize?: [number, number];
  openStdin: boolean;
  /** Close the program's stdin when an attached client ends its stdin (Docker's StdinOnce). */
  stdinOnce: boolean;
  /** "none" (own namespace with only lo), "host", or the path of a network namespace to join (/run/netns/NAME). */
  network: "none" | "host" | (string & {});
  /** Files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf (each optional). */
  etcFiles?: { hostname?: string; hosts?: string; resolvConf?: string };
  binds: BindMount[];
  /**
   * The mount namespace is copied from the host's at this start, not ahead of
   * it (a standby's): a bind whose propagation follows the host's mounts, or a
   * volume whose filesystem the daemon has just mounted.
   */
  freshMountNamespace?: boolean;
  /** Device nodes made in the container's /dev besides the standard ones (`--device`); --privileged gets all the host's. */
  devices?: DeviceNode[];
  /** `resources.devices` defaults to Docker's rules (all devices when privileged). */
  resources: Resources;
  /** RLIMIT_* names (or "nofile"…); -1 = unlimited. */
  rlimits: { type: string; soft: number; hard: number }[];
  /** Capability names without the CAP_ prefix (see defaultCapabilities, applyCapChanges). */
  capabilities: string[];
  noNewPrivileges: boolean;
  /** Namespaced sysctls written under /proc/sys before it turns read-only (`--sysctl`). */
  sysctls?: Record<string, string>;
  /** /dev/shm's size in bytes (`--shm-size`); default 64 MiB. */
  shmSize?: number;
  /** The program's /proc/self/oom_score_adj (`--oom-score-adj`). */
  oomScoreAdj?: number;
  /** Groups (names or ids in the container's /etc/group) the program joins besides the user's (`--group-add`). */
  groupAdd?: string[];
  /** "host": stay in the engine's cgroup namespace; default a private one. */
  cgroupns?: "host" | "private";
  /** Stage 2's PID namespace: undefined a new one (it is PID 1 there), "host" the host's, or the path of one to join (/proc/PID/ns/pid). Never a standby's start, whose stage 2 has a new one already. */
  pidNamespace?: string;
  /** IPC: undefined an IPC namespace of its own with a fresh /dev/shm; "host" the host's, its /dev/shm bound in; "none" its own, no /dev/shm. Never a standby's start if "host". */
  ipc?: "host" | "none";
  /**
   * A host directory bound at /dev/shm instead of a tmpfs of its own: a shareable container's (a tmpfs the
   * daemon mounted there, as dockerd's mounts/shm) or, with `ipcNamespace`, the IPC donor's. Never a standby's start.
   */
  shmSource?: string;
  /** An IPC namespace to join (/proc/PID/ns/ipc of the donor's first process, IpcMode container:) instead of a new one. Never a standby's start. */
  ipcNamespace?: string;
  /** Stay in the host's UTS namespace (`--uts host`): its hostname and domain name, none set. Never a standby's start, which made a UTS namespace ahead. */
  utsHost?: boolean;
  /** The seccomp filter installed right before the program starts (and in each exec); none: unconfined. */
  seccomp?: SeccompProgram;
  privileged: boolean;
  /** A user namespace of its own with this mapping (the daemon's --userns-remap); none: the host's. */
  userns?: UserNamespace;
  maskedPaths: string[];
  readonlyPaths: string[];
  /** The json-file log the shim appends to (containerSpec's default: `<dir>/<id>-json.log`). */
  logPath: string;
  /** The output is not logged at all (the "none" log driver). */
  logDisabled?: boolean;
  /** json-file's max-size, max-file and compress; none: the log never rotates. */
  logRotation?: LogRotation;
  /** The cgroup path under each controller (containerSpec's default: "<cgroup parent>/<id>", see containerCgroupPath). */
  cgroupPath: string;
  /** Signal of a stop request that names none (Docker's StopSignal). Default SIGTERM. */
  stopSignal?: string;
  /**
   * `run --init`: stage 2 stays as PID 1 (reaping orphans, passing signals on)
   * and runs the program as its child, instead of becoming the program.
   */
  init?: boolean;
}

/** The brief's name for the same thing. */
export type ContainerSpec = RuntimeSpec;

/** Docker's default capability set (CapEff 0x00000000a80425fb). */
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

/** A spec with Docker's defaults for everything not given; `id`, `args` and the layers are required. */
export function containerSpec(dir: string, s: Partial<RuntimeSpec> & Pick<RuntimeSpec, "id" | "args">): RuntimeSpec {
  return resolveSpec(dir, {
    logPath: "", cgroupPath: "",
    lowerDirs: [], upperDir: join(dir, "upper"), workDir: join(dir, "work"), rootfs: join(dir, "rootfs"), readonlyRootfs: false,
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], cwd: "/", user: "", hostname: s.id.slice(0, 12),
    tty: false, openStdin: false, stdinOnce: false, network: "none", binds: [], resources: {}, rlimits: [],
    capabilities: defaultCapabilities, noNewPrivileges: false, privileged: false,
    maskedPaths: defaultMaskedPaths, readonlyPaths: defaultReadonlyPaths, ...s,
  });
}

/** Fills the paths that default to places in the container directory. */
export function resolveSpec(dir: string, s: RuntimeSpec): RuntimeSpec {
  return {
    ...s,
    rootfs: s.rootfs || join(dir, "rootfs"),
    logPath: s.logPath || join(dir, `${s.id}-json.log`),
    cgroupPath: s.cgroupPath || containerCgroupPath(s.id),
    binds: s.binds ?? [],
    devices: s.devices ?? [],
    resources: { ...s.resources, devices: s.resources?.devices ?? containerDeviceRules(s.privileged) },
    rlimits: s.rlimits ?? [],
    maskedPaths: s.maskedPaths ?? [],
    readonlyPaths: s.readonlyPaths ?? [],
  };
}
