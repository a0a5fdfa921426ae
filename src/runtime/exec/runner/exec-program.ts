// What stage 2 of an exec does (enter.ts, in TypeScript), as calls for the
// runner: join the namespaces, take the terminal, the working directory, the
// limits, the identity and capabilities, then execve. Decided here, in stage 1;
// the runner only performs them.
import { capabilityPlan } from "../../process.ts";
import { PR, RLIMIT } from "../../libc.ts";
import type { ExecConfig } from "../config.ts";
import { Block, RunnerProgram } from "./program.ts";

// x86_64 system call numbers (the runner is x86_64 code).
const SYS = {
  read: 0, close: 3, rt_sigaction: 13, rt_sigprocmask: 14, ioctl: 16, execve: 59, fcntl: 72, chdir: 80, setsid: 112, setgroups: 116,
  setresuid: 117, setresgid: 119, capset: 126, prctl: 157, prlimit64: 302, setns: 308, seccomp: 317,
};

export interface ResolvedExec {
  /** The namespaces (their descriptors as the runner holds them), in the order to join. */
  namespaces: { fd: number; kind: string }[];
  uid: number;
  gid: number;
  groups: number[];
  file: string;
  env: string[];
}

/** `parentDeath`: the program dies with the process that started the runner (unless detached, whose parent is the daemon). */
export function execProgram(cfg: ExecConfig, r: ResolvedExec, parentDeath = true): RunnerProgram {
  const p = new RunnerProgram();
  p.call(SYS.close, [4], "close");
  // The parent's "go\n": the runner is in the container's cgroup.
  p.call(SYS.read, [3, new Block(Buffer.alloc(8)), 3], "read", 3);
  for (const ns of r.namespaces) p.call(SYS.setns, [ns.fd, 0], `setns ${ns.kind}`).call(SYS.close, [ns.fd], "close");
  if (cfg.tty) p.call(SYS.setsid, [], "setsid").call(SYS.ioctl, [0, 0x540e, 0], "ioctl(TIOCSCTTY)");
  const cwd = cfg.cwd || "/";
  p.call(SYS.chdir, [Block.string(cwd)], "chdir");
  for (const l of cfg.rlimits ?? []) {
    const n = RLIMIT[l.type.replace(/^RLIMIT_/i, "").toLowerCase()];
    if (n === undefined) continue;
    const v = Buffer.alloc(16);
    v.writeBigInt64LE(BigInt(l.soft), 0);
    v.writeBigInt64LE(BigInt(l.hard), 8);
    p.call(SYS.prlimit64, [0, n, new Block(v), 0], "setrlimit");
  }
  // As dropPrivileges (process.ts) orders them.
  const { keep, boundingDrops } = capabilityPlan(cfg.capabilities, cfg.privileged, r.uid);
  for (const cap of boundingDrops) p.call(SYS.prctl, [PR.CAPBSET_DROP, cap, 0, 0, 0], "prctl 24", 0);
  const seccomp = cfg.seccomp ? seccompCall(cfg.seccomp.program, cfg.seccomp.flags) : undefined;
  if (seccomp && !cfg.noNewPrivileges) p.call(SYS.seccomp, seccomp, "seccomp");
  const groups = Buffer.alloc(4 * Math.max(r.groups.length, 1));
  r.groups.forEach((g, i) => groups.writeUInt32LE(g, 4 * i));
  p.call(SYS.setgroups, [r.groups.length, new Block(groups)], "setgroups");
  p.call(SYS.setresgid, [r.gid, r.gid, r.gid], "setresgid");
  p.call(SYS.setresuid, [r.uid, r.uid, r.uid], "setresuid");
  if (r.uid === 0) p.call(SYS.capset, [capHeader(), capData(keep)], "capset");
  if (cfg.noNewPrivileges) p.call(SYS.prctl, [PR.SET_NO_NEW_PRIVS, 1, 0, 0, 0], "prctl 38");
  if (seccomp && cfg.noNewPrivileges) p.call(SYS.seccomp, seccomp, "seccomp");
  // As the container's PID 1 does: the program dies with its parent, who alone relays and records it.
  if (parentDeath) p.call(SYS.prctl, [PR.SET_PDEATHSIG, 9, 0, 0, 0], "prctl 1");
  // The program starts with default signal handling and nothing blocked, whatever stage 1 had.
  const defaults = new Block(Buffer.alloc(32));
  for (const sig of [13, 25]) p.call(SYS.rt_sigaction, [sig, defaults, 0, 8], "sigaction");
  p.call(SYS.rt_sigprocmask, [2, new Block(Buffer.alloc(8)), 0, 8], "sigprocmask");
  p.call(SYS.fcntl, [3, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */], "fcntl");
  p.call(SYS.execve, [Block.string(r.file), Block.strings(cfg.args), Block.strings(r.env)], `execve ${r.file}`);
  return p;
}

/** seccomp(SECCOMP_SET_MODE_FILTER, flags, &sock_fprog). */
function seccompCall(program: string, flags: number): [number, number, Block] {
  const insns = Buffer.from(program, "base64");
  const fprog = Buffer.alloc(16);
  fprog.writeUInt16LE(insns.length / 8, 0);
  return [1, flags, new Block(fprog, [{ at: 8, to: new Block(insns) }])];
}

/** capset(2)'s version 3 header. */
function capHeader(): Block {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(0x20080522, 0);
  return new Block(h);
}

/** The same mask effective and permitted, none inheritable (as process.ts's capset). */
function capData(keep: bigint): Block {
  const d = Buffer.alloc(24);
  const lo = Number(keep & 0xffffffffn);
  const hi = Number((keep >> 32n) & 0xffffffffn);
  [lo, lo, 0, hi, hi, 0].forEach((v, i) => d.writeUInt32LE(v, 4 * i));
  return new Block(d);
}
