// HostConfig's kernel settings checked at create, with the words dockerd (or
// runc, where dockerd leaves it to the runtime) uses: Sysctls, ShmSize,
// OomScoreAdj, CgroupnsMode, Ulimits, GroupAdd and the memory reservation,
// swappiness and OOM killer, UTSMode and IpcMode (PidMode is pid-mode.ts's,
// IpcMode container: ipc-mode.ts's).
import { InvalidParameterError } from "../../errors.ts";
import { namespacedSysctl, networkSysctl } from "../../shared/sysctls.ts";
import { ulimitProblem } from "../../shared/ulimits.ts";

type Json = Record<string, any>;

/** Fills defaults in place (CgroupnsMode) and throws InvalidParameterError on what Docker refuses. */
export function checkHostSettings(hc: Json): void {
  for (const key of Object.keys(hc.Sysctls ?? {})) {
    if (!namespacedSysctl(key)) throw new InvalidParameterError(`sysctl ${JSON.stringify(key)} is not in a separate kernel namespace`);
    if (networkSysctl(key) && hc.NetworkMode === "host") throw new InvalidParameterError(`sysctl ${JSON.stringify(key)} not allowed in host network namespace`);
  }
  if (Number(hc.ShmSize ?? 0) < 0) throw new InvalidParameterError("SHM size can not be less than 0");
  const oom = Number(hc.OomScoreAdj ?? 0);
  if (oom < -1000 || oom > 1000) throw new InvalidParameterError(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  const ns = hc.CgroupnsMode ?? "";
  if (!["", "host", "private"].includes(ns)) throw new InvalidParameterError(`invalid cgroup namespace mode: ${ns}`);
  // berth gives every container a cgroup namespace of its own unless asked otherwise, on v1 as on v2.
  hc.CgroupnsMode = ns || "private";
  checkNamespaceModes(hc);
  checkMemorySettings(hc);
  for (const u of hc.Ulimits ?? []) {
    const problem = ulimitProblem(String(u?.Name), Number(u?.Soft), Number(u?.Hard));
    if (problem) throw new InvalidParameterError(problem);
  }
}

/** IPC is the container's own (private, shareable, none: no /dev/shm), the host's or another's; UTS is its own or the host's. */
function checkNamespaceModes(hc: Json): void {
  if (hc.UTSMode && hc.UTSMode !== "host") throw new InvalidParameterError(`invalid UTS mode: ${hc.UTSMode}`);
  // container:<name|id> is ipc-mode.ts's.
  const ipc = String(hc.IpcMode ?? "");
  if (ipc && !ipc.startsWith("container:") && !["private", "shareable", "host", "none"].includes(ipc)) throw new InvalidParameterError(`invalid IPC mode: ${ipc}`);
}

const minMemory = 6 * 1024 * 1024;

/** MemoryReservation, MemorySwappiness (-1 or null: the kernel's), OomKillDisable: dockerd's checks. */
function checkMemorySettings(hc: Json): void {
  const reservation = Number(hc.MemoryReservation ?? 0);
  if (reservation < 0 || (reservation > 0 && reservation < minMemory)) throw new InvalidParameterError("Minimum memory reservation allowed is 6MB");
  if (reservation > 0 && Number(hc.Memory ?? 0) > 0 && Number(hc.Memory) < reservation) {
    throw new InvalidParameterError("Minimum memory limit can not be less than memory reservation limit, see usage");
  }
  const swappiness = hc.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw new InvalidParameterError(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
}

/**
 * dockerd's warnings at create for the memory settings this host's cgroups cannot honour (then
 * dropped from `hc`): v2 has no per-cgroup swappiness and no switch for the OOM killer.
 */
export function memorySettingWarnings(hc: Json, cgroupVersion: "1" | "2"): string[] {
  const warnings: string[] = [];
  const swappiness = hc.MemorySwappiness;
  if (cgroupVersion === "2" && swappiness !== undefined && swappiness !== null && swappiness !== -1) {
    warnings.push("Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.");
    hc.MemorySwappiness = null;
  }
  if (hc.OomKillDisable && cgroupVersion === "2") {
    warnings.push("Your kernel does not support OomKillDisable. OomKillDisable discarded.");
    hc.OomKillDisable = false;
  }
  if (hc.OomKillDisable && !Number(hc.Memory ?? 0)) {
    warnings.push("OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.");
  }
  return warnings;
}

/** At create, before the hostname defaults: `--uts host` takes the host's name, so one asked for conflicts (dockerd's words). */
export function checkUtsHostname(hc: Json, askedHostname: boolean): void {
  if (hc.UTSMode === "host" && askedHostname) throw new InvalidParameterError("Conflicting options: hostname and the UTS mode");
}

/**
 * --storage-opt (a size for the container's writable layer) needs project quotas berth does not set:
 * refused as dockerd's overlay2 refuses it where it cannot, rather than accepted and not applied.
 */
export function checkStorageOpt(hc: Json, storageDriver: string): void {
  if (!hc.StorageOpt || !Object.keys(hc.StorageOpt).length) return;
  if (storageDriver.startsWith("overlay")) throw new InvalidParameterError("--storage-opt is supported only for overlay over xfs with 'pquota' mount option");
  throw new InvalidParameterError(`--storage-opt is not supported by the ${storageDriver} storage driver`);
}
