// Linux capability numbers (linux/capability.h) and masks.
const numbers: Record<string, number> = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8,
  LINUX_IMMUTABLE: 9, NET_BIND_SERVICE: 10, NET_BROADCAST: 11, NET_ADMIN: 12, NET_RAW: 13, IPC_LOCK: 14, IPC_OWNER: 15,
  SYS_MODULE: 16, SYS_RAWIO: 17, SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_PACCT: 20, SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23,
  SYS_RESOURCE: 24, SYS_TIME: 25, SYS_TTY_CONFIG: 26, MKNOD: 27, LEASE: 28, AUDIT_WRITE: 29, AUDIT_CONTROL: 30, SETFCAP: 31,
  MAC_OVERRIDE: 32, MAC_ADMIN: 33, SYSLOG: 34, WAKE_ALARM: 35, BLOCK_SUSPEND: 36, AUDIT_READ: 37, PERFMON: 38, BPF: 39,
  CHECKPOINT_RESTORE: 40,
};

export const allCapabilities = Object.keys(numbers);

export function capabilityNumber(name: string): number {
  const n = numbers[name.toUpperCase().replace(/^CAP_/, "")];
  if (n === undefined) throw new Error(`unknown capability: "${name}"`);
  return n;
}

export function capabilityMask(names: string[]): bigint {
  return names.reduce((m, n) => m | (1n << BigInt(capabilityNumber(n))), 0n);
}

/** The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
export function lastCapability(readFile: (p: string) => string): number {
  try {
    return Number(readFile("/proc/sys/kernel/cap_last_cap").trim());
  } catch {
    return 40;
  }
}

/** Docker's --cap-add/--cap-drop over a base set ("ALL" allowed). */
export function applyCapChanges(base: string[], add: string[] = [], drop: string[] = []): string[] {
  const norm = (c: string) => c.toUpperCase().replace(/^CAP_/, "");
  let set = new Set(base.map(norm));
  if (add.map(norm).includes("ALL")) set = new Set(allCapabilities);
  else for (const c of add) set.add(norm(c));
  if (drop.map(norm).includes("ALL")) set.clear();
  else for (const c of drop) set.delete(norm(c));
  for (const c of set) capabilityNumber(c);
  return [...set];
}
