// A Docker-format profile resolved for one container on this host, as dockerd
// does before handing it to the runtime: rules whose includes/excludes do not
// fit the container's capabilities, the host's architecture or its kernel are
// dropped, names are checked, and actions and operators become the kernel's
// values. Errors carry the words dockerd and runc use for them.
import { release } from "node:os";
import type { Profile, ProfileArg, ProfileFilter } from "./profile.ts";

/** SECCOMP_RET_* (linux/seccomp.h); an errno or trace value goes in the low 16 bits. */
export const RET = {
  KILL_PROCESS: 0x80000000, KILL_THREAD: 0, TRAP: 0x00030000, ERRNO: 0x00050000, TRACE: 0x7ff00000, LOG: 0x7ffc0000, ALLOW: 0x7fff0000,
} as const;

export const EPERM = 1;
export const ENOSYS = 38;

export type FilterArch = "x86_64" | "i386" | "x32" | "aarch64" | "arm";

export interface FilterRule {
  names: string[];
  /** A SECCOMP_RET_* value with its data. */
  action: number;
  args: ProfileArg[];
}

/** What the BPF compiler takes: everything already decided for this container. */
export interface ResolvedFilter {
  defaultAction: number;
  arches: FilterArch[];
  rules: FilterRule[];
  /** SECCOMP_FILTER_FLAG_* for seccomp(2). */
  flags: number;
}

export class ProfileError extends Error {}

const ACTIONS: Record<string, number> = {
  SCMP_ACT_KILL: RET.KILL_THREAD, SCMP_ACT_KILL_THREAD: RET.KILL_THREAD, SCMP_ACT_KILL_PROCESS: RET.KILL_PROCESS,
  SCMP_ACT_TRAP: RET.TRAP, SCMP_ACT_ERRNO: RET.ERRNO, SCMP_ACT_TRACE: RET.TRACE, SCMP_ACT_ALLOW: RET.ALLOW, SCMP_ACT_LOG: RET.LOG,
};
export const OPERATORS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];
const ARCHES = [
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
  "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
];
/**
 * What a filter covers on each host architecture berth has call numbers for (Go's names, as a
 * profile's includes.arches uses them): the host's own calls, and the 32-bit ones its kernel also
 * runs when a profile lists them (Docker's default maps x86_64 to x86 and x32, aarch64 to arm).
 */
const HOSTS: Record<string, { native: string; covers: Record<string, FilterArch> }> = {
  amd64: { native: "SCMP_ARCH_X86_64", covers: { SCMP_ARCH_X86_64: "x86_64", SCMP_ARCH_X86: "i386", SCMP_ARCH_X32: "x32" } },
  arm64: { native: "SCMP_ARCH_AARCH64", covers: { SCMP_ARCH_AARCH64: "aarch64", SCMP_ARCH_ARM: "arm" } },
};
const FLAGS: Record<string, number> = { SECCOMP_FILTER_FLAG_TSYNC: 1, SECCOMP_FILTER_FLAG_LOG: 2, SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4 };

/** This host's architecture in Go's words, as profiles name it. */
export function hostArch(): string {
  return ({ x64: "amd64", ia32: "386" } as Record<string, string>)[process.arch] ?? process.arch;
}

/** This host's architecture when berth has a filter for it (dockerd's "native" arch), else undefined. */
export function nativeArch(): string | undefined {
  return HOSTS[hostArch()] ? hostArch() : undefined;
}

function kernelAtLeast(want: string, have = release()): boolean {
  const parse = (v: string) => {
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
    if (!m) throw new ProfileError(`failed to parse kernel version ${JSON.stringify(v)}`);
    return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  };
  const [a, b] = [parse(want), parse(have)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return b[i]! > a[i]!;
  return true;
}

function action(name: string, errnoRet: number | undefined, fallbackErrno: number): number {
  const base = ACTIONS[name];
  if (base === undefined) {
    if (name === "SCMP_ACT_NOTIFY") throw new ProfileError("seccomp action SCMP_ACT_NOTIFY is not supported by this engine");
    throw new ProfileError(`string ${name} is not a valid action for seccomp`);
  }
  if (base === RET.ERRNO) return base | ((errnoRet ?? fallbackErrno) & 0xffff);
  if (base === RET.TRACE) return base | ((errnoRet ?? 0) & 0xffff);
  return base;
}

function applies(f: ProfileFilter | undefined, arch: string, caps: Set<string>, include: boolean): boolean {
  if (!f) return true;
  if (include) {
    if (f.arches?.length && !f.arches.includes(arch)) return false;
    if (f.caps?.length && !f.caps.every((c) => caps.has(c))) return false;
    if (f.minKernel && !kernelAtLeast(f.minKernel)) return false;
    return true;
  }
  if (f.arches?.length && f.arches.includes(arch)) return false;
  if (f.caps?.length && f.caps.some((c) => caps.has(c))) return false;
  if (f.minKernel && kernelAtLeast(f.minKernel)) return false;
  return true;
}

function checkArg(a: ProfileArg): ProfileArg {
  if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw new ProfileError(`seccomp argument index ${a.index} is out of range (0 to 5)`);
  if (!OPERATORS.includes(a.op)) throw new ProfileError(`string ${a.op} is not a valid operator for seccomp`);
  for (const v of [a.value, a.valueTwo ?? 0]) {
    if (!Number.isSafeInteger(v) || v < 0) throw new ProfileError(`seccomp argument value ${v} must be an unsigned integer`);
  }
  return { index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op };
}

/**
 * The filter for a container holding `capabilities` (names with or without
 * CAP_), or undefined when the profile turns seccomp off (no default action
 * and no rules, as dockerd reads it) or this host has no filter support.
 */
export function resolveProfile(p: Profile, capabilities: string[], arch = hostArch()): ResolvedFilter | undefined {
  if (typeof p !== "object" || p === null || Array.isArray(p)) throw new ProfileError("Decoding seccomp profile failed: the profile must be a JSON object");
  const syscalls = p.syscalls ?? [];
  if (!p.defaultAction && syscalls.length === 0) return undefined;
  const host = HOSTS[arch];
  // No silent fallback to no filter: the user is told, and can choose unconfined knowingly.
  if (!host) {
    throw new ProfileError(`seccomp filters are not supported on ${arch} by this engine: run the container with --security-opt seccomp=unconfined, or the daemon with --seccomp-profile unconfined`);
  }
  if (p.architectures?.length && p.archMap?.length) {
    throw new ProfileError("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  let archNames = p.architectures ?? [];
  const mapped = p.archMap?.find((m) => m.architecture === host.native);
  if (mapped) archNames = [mapped.architecture, ...(mapped.subArchitectures ?? [])];
  for (const a of [...archNames, ...(p.archMap ?? []).flatMap((m) => [m.architecture, ...(m.subArchitectures ?? [])])]) {
    if (!ARCHES.includes(a)) throw new ProfileError(`string ${a} is not a valid arch for seccomp`);
  }
  // The native arch first and always (libseccomp adds it); others this host's kernel cannot run are left out.
  const arches = [...new Set([host.native, ...archNames].map((a) => host.covers[a]).filter((a): a is FilterArch => !!a))];
  let flags = 0;
  for (const f of p.flags ?? []) {
    if (FLAGS[f] === undefined) throw new ProfileError(`seccomp flag ${JSON.stringify(f)} is not supported`);
    flags |= FLAGS[f]!;
  }
  const defaultErrno = p.defaultErrnoRet ?? EPERM;
  const defaultAction = action(p.defaultAction, defaultErrno, EPERM);
  const caps = new Set(capabilities.map((c) => `CAP_${c.toUpperCase().replace(/^CAP_/, "")}`));
  const rules: FilterRule[] = [];
  for (const call of syscalls) {
    if (!call || typeof call !== "object") throw new ProfileError("Decoding seccomp profile failed: each syscalls entry must be an object");
    if (!applies(call.excludes, arch, caps, false) || !applies(call.includes, arch, caps, true)) continue;
    if (call.name && call.names?.length) throw new ProfileError("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    const names = call.name ? [call.name] : (call.names ?? []);
    if (names.some((n) => typeof n !== "string" || !n)) throw new ProfileError("seccomp syscall names must be non-empty strings");
    rules.push({ names, action: action(call.action, call.errnoRet, EPERM), args: (call.args ?? []).map(checkArg) });
  }
  return { defaultAction, arches, rules, flags };
}
