// The runtime spec for a container run, from its stored configuration.
import type { ContainerRecord } from "./records.ts";
import type { ContainerPaths } from "./views.ts";
import { applyCapChanges, containerCgroupPath, containerDeviceRules, defaultCapabilities, defaultMaskedPaths, defaultReadonlyPaths, type LogRotation, type RuntimeSpec } from "../../runtime/index.ts";
import { logRotation, logsDisabled } from "./log-config.ts";
import type { JoinedNetwork } from "./network-mode.ts";
import { containerDevices } from "./devices.ts";
import { noNewPrivileges } from "./security-options.ts";
import { builtinSecurity, containerSeccomp, type SecurityDefaults } from "./seccomp.ts";
import { blockIOOf } from "./block-io.ts";

/**
 * `joined`: the network of another container, for `--network container:X` (network-mode.ts).
 * `security`: the daemon's seccomp profile and no-new-privileges, for a container that names neither.
 */
export function buildSpec(c: ContainerRecord, p: ContainerPaths, joined?: JoinedNetwork, security: SecurityDefaults = builtinSecurity): RuntimeSpec {
  const cfg = c.config;
  const hc = c.hostConfig;
  const args = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
  const cpuPeriod = hc.CpuPeriod || 100000;
  const devices = containerDevices(hc);
  const capabilities = applyCapChanges(defaultCapabilities, hc.CapAdd ?? [], hc.CapDrop ?? []);
  const cpuQuota = hc.NanoCpus ? Math.round((hc.NanoCpus / 1e9) * cpuPeriod) : hc.CpuQuota || undefined;
  return {
    id: c.id,
    lowerDirs: p.lowerDirs,
    upperDir: p.upperDir,
    workDir: p.workDir,
    rootfs: p.mergedDir,
    readonlyRootfs: !!hc.ReadonlyRootfs,
    ephemeral: !!hc.AutoRemove,
    args,
    env: containerEnv(cfg, joined?.env ?? []),
    cwd: cfg.WorkingDir || "/",
    user: cfg.User || "",
    hostname: cfg.Hostname,
    domainname: cfg.Domainname || undefined,
    tty: !!cfg.Tty,
    consoleSize: consoleSize(hc.ConsoleSize),
    openStdin: !!cfg.OpenStdin,
    stdinOnce: !!cfg.StdinOnce,
    network: joined?.network ?? (hc.NetworkMode === "host" ? "host" : "none"),
    etcFiles: joined?.etcFiles ?? { hostname: p.hostnamePath, hosts: p.hostsPath, resolvConf: p.resolvConfPath },
    binds: [],
    devices: devices.nodes,
    init: !!hc.Init,
    resources: {
      memory: hc.Memory || undefined,
      memorySwap: hc.MemorySwap || undefined,
      memoryReservation: hc.MemoryReservation || undefined,
      memorySwappiness: typeof hc.MemorySwappiness === "number" && hc.MemorySwappiness >= 0 ? hc.MemorySwappiness : undefined,
      oomKillDisable: hc.OomKillDisable || undefined,
      cpuQuota,
      cpuPeriod: cpuQuota ? cpuPeriod : undefined,
      cpuShares: hc.CpuShares || undefined,
      cpusetCpus: hc.CpusetCpus || undefined,
      pidsLimit: hc.PidsLimit && hc.PidsLimit > 0 ? hc.PidsLimit : undefined,
      devices: containerDeviceRules(!!hc.Privileged, devices.rules),
      blockIO: blockIOOf(hc),
    },
    rlimits: (hc.Ulimits ?? []).map((u: any) => ({ type: u.Name, soft: u.Soft, hard: u.Hard })),
    capabilities,
    noNewPrivileges: noNewPrivileges(hc.SecurityOpt, security.noNewPrivileges),
    seccomp: containerSeccomp(hc, capabilities, security),
    sysctls: hc.Sysctls ?? undefined,
    shmSize: hc.ShmSize || undefined,
    oomScoreAdj: hc.OomScoreAdj || undefined,
    groupAdd: hc.GroupAdd?.length ? hc.GroupAdd : undefined,
    cgroupns: hc.CgroupnsMode === "host" ? "host" : "private",
    utsHost: hc.UTSMode === "host" || undefined,
    ipc: hc.IpcMode === "host" || hc.IpcMode === "none" ? hc.IpcMode : undefined,
    privileged: !!hc.Privileged,
    maskedPaths: defaultMaskedPaths,
    readonlyPaths: defaultReadonlyPaths,
    logPath: p.logPath,
    ...(logsDisabled(hc) ? { logDisabled: true } : { logRotation: logRotationOf(hc) }),
    cgroupPath: containerCgroupPath(c.id),
  };
}

/** The json-file rotation options, checked at create; a record from before they were is read as "never rotate". */
function logRotationOf(hc: Record<string, any>): LogRotation | undefined {
  try {
    return logRotation(hc.LogConfig?.Config ?? {});
  } catch {
    return undefined;
  }
}

/** Docker's ConsoleSize ([height, width]) when it names a size; [0, 0] or none leaves the terminal unsized. */
export function consoleSize(v: unknown): [number, number] | undefined {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => Number.isInteger(n) && n > 0 && n <= 0xffff)) return undefined;
  return [v[0], v[1]];
}

/** `base` with `own` over it: a variable of `own` replaces the one of the same name. */
/** What dockerd puts in a container's environment, under its own Env: HOSTNAME, then the links' variables. */
export function containerEnv(cfg: Record<string, any>, links: string[]): string[] {
  return withEnv([`HOSTNAME=${cfg.Hostname}`, ...links], cfg.Env ?? []);
}

export function withEnv(base: string[], own: string[]): string[] {
  const names = new Set(own.map((e) => e.split("=")[0]));
  return [...base.filter((e) => !names.has(e.split("=")[0])), ...own];
}
