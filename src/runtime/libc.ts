// libc through bun:ffi: the namespace, mount, identity and exec calls the
// runtime needs. Strings go in as NUL-terminated Buffers that the caller's
// frame keeps alive; every failure throws with the errno's name.
import { FFIType, ptr, read, CString } from "bun:ffi";
import { lazySymbols } from "../ffi/lazy-dlopen.ts";
import { openSync, readdirSync, constants as fsConstants } from "node:fs";

const { i32, i64, u32, u64, ptr: P, cstring } = FFIType;

const sym = lazySymbols("libc.so.6", {
  unshare: { args: [i32], returns: i32 },
  setns: { args: [i32, i32], returns: i32 },
  mount: { args: [P, P, P, u64, P], returns: i32 },
  umount2: { args: [P, i32], returns: i32 },
  syscall: { args: [i64, i64, i64, i64, i64, i64], returns: i64 },
  chdir: { args: [P], returns: i32 },
  fchdir: { args: [i32], returns: i32 },
  chroot: { args: [P], returns: i32 },
  dup2: { args: [i32, i32], returns: i32 },
  symlink: { args: [P, P], returns: i32 },
  kill: { args: [i32, i32], returns: i32 },
  waitpid: { args: [i32, P, i32], returns: i32 },
  prlimit: { args: [i32, i32, P, P], returns: i32 },
  sethostname: { args: [P, u64], returns: i32 },
  setdomainname: { args: [P, u64], returns: i32 },
  setgroups: { args: [u64, P], returns: i32 },
  setresuid: { args: [u32, u32, u32], returns: i32 },
  setresgid: { args: [u32, u32, u32], returns: i32 },
  prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
  execve: { args: [P, P, P], returns: i32 },
  signal: { args: [i32, u64], returns: u64 },
  mknod: { args: [P, u32, u64], returns: i32 },
  fcntl: { args: [i32, i32, i32], returns: i32 },
  setrlimit: { args: [i32, P], returns: i32 },
  setsid: { args: [], returns: i32 },
  ioctl: { args: [i32, u64, u64], returns: i32 },
  posix_openpt: { args: [i32], returns: i32 },
  grantpt: { args: [i32], returns: i32 },
  unlockpt: { args: [i32], returns: i32 },
  ptsname: { args: [i32], returns: cstring },
  umask: { args: [u32], returns: u32 },
  setpriority: { args: [i32, u32, i32], returns: i32 },
  __errno_location: { args: [], returns: P },
  strerror: { args: [i32], returns: cstring },
});

const names: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 7: "E2BIG", 8: "ENOEXEC", 9: "EBADF", 10: "ECHILD", 11: "EAGAIN",
  12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR",
  22: "EINVAL", 24: "EMFILE", 25: "ENOTTY", 26: "ETXTBSY", 28: "ENOSPC", 30: "EROFS", 36: "ENAMETOOLONG", 38: "ENOSYS",
  39: "ENOTEMPTY", 40: "ELOOP", 34: "ERANGE", 95: "EOPNOTSUPP", 97: "EAFNOSUPPORT", 98: "EADDRINUSE", 99: "EADDRNOTAVAIL",
  101: "ENETUNREACH", 105: "ENOBUFS",
};

export class SyscallError extends Error {
  constructor(readonly call: string, readonly errno: number, detail = "") {
    super(`${call}${detail ? ` ${detail}` : ""}: ${String(sym.strerror(errno))}`);
  }
  get code(): string {
    return names[this.errno] ?? `E${this.errno}`;
  }
}

export function errno(): number {
  return read.i32(sym.__errno_location()!, 0);
}

function check(call: string, r: number | bigint, detail?: string): void {
  if (Number(r) < 0) throw new SyscallError(call, errno(), detail);
}

export function cstr(s: string): Buffer {
  return Buffer.from(s + "\0");
}

export const CLONE = {
  NEWNS: 0x00020000, NEWCGROUP: 0x02000000, NEWUTS: 0x04000000, NEWIPC: 0x08000000,
  NEWUSER: 0x10000000, NEWPID: 0x20000000, NEWNET: 0x40000000, FS: 0x00000200,
};

export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, REMOUNT: 32, BIND: 4096, REC: 16384, PRIVATE: 1 << 18, SLAVE: 1 << 19, STRICTATIME: 1 << 24,
};

export function unshare(flags: number): void {
  check("unshare", sym.unshare(flags));
}

export function setns(fd: number, nstype: number): void {
  check("setns", sym.setns(fd, nstype));
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  const s = source === null ? null : cstr(source);
  const t = cstr(target);
  const f = fstype === null ? null : cstr(fstype);
  const d = data === null ? null : cstr(data);
  check("mount", sym.mount(s && ptr(s), ptr(t), f && ptr(f), flags, d && ptr(d)), `${fstype ?? source ?? ""} on ${target}`);
}

export function umount2(target: string, flags: number): void {
  const t = cstr(target);
  check("umount2", sym.umount2(ptr(t), flags), target);
}

/** A raw syscall(2) by number; returns its result, throws with the errno's name on failure. */
export function syscall(call: string, nr: number, a = 0, b = 0, c = 0, d = 0, e = 0): number {
  const r = Number(sym.syscall(nr, a, b, c, d, e));
  check(call, r);
  return r;
}

const SYS_pivot_root = process.arch === "arm64" ? 41 : 155;
const SYS_capset = process.arch === "arm64" ? 91 : 126;

export function pivotRoot(newRoot: string, putOld: string): void {
  const a = cstr(newRoot);
  const b = cstr(putOld);
  check("pivot_root", sym.syscall(SYS_pivot_root, ptr(a) as unknown as number, ptr(b) as unknown as number, 0, 0, 0), newRoot);
}

export function chdir(path: string): void {
  const p = cstr(path);
  check("chdir", sym.chdir(ptr(p)), path);
}

export function fchdir(fd: number): void {
  check("fchdir", sym.fchdir(fd));
}

export function chroot(path: string): void {
  const p = cstr(path);
  check("chroot", sym.chroot(ptr(p)), path);
}

export function dup2(from: number, to: number): void {
  check("dup2", sym.dup2(from, to));
}

export function symlink(target: string, path: string): void {
  const t = cstr(target);
  const p = cstr(path);
  check("symlink", sym.symlink(ptr(t), ptr(p)), path);
}

/** kill(2) without Node's signal-name mapping (pid 0/-pgid allowed). */
export function kill(pid: number, signal: number): void {
  check("kill", sym.kill(pid, signal), String(pid));
}

/**
 * Sets the nice value of every thread of `pid` (Linux keeps it per thread; threads
 * made later inherit their creator's). Threads that end meanwhile are skipped.
 */
export function setProcessNice(pid: number, nice: number): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tids) sym.setpriority(0 /* PRIO_PROCESS */, Number(tid), nice);
}

export function sethostname(name: string): void {
  const b = Buffer.from(name);
  check("sethostname", sym.sethostname(ptr(b.length ? b : Buffer.alloc(1)), b.length));
}

export function setdomainname(name: string): void {
  const b = Buffer.from(name);
  check("setdomainname", sym.setdomainname(ptr(b), b.length));
}

// Identity changes as raw syscalls: they change the calling thread only. glibc's
// wrappers would signal every Bun thread to follow (slow), and the runtime
// changes identity only on the thread that then calls execve.
const SYS_setgroups = process.arch === "arm64" ? 159 : 116;
const SYS_setresuid = process.arch === "arm64" ? 147 : 117;
const SYS_setresgid = process.arch === "arm64" ? 149 : 119;

export function setgroups(gids: number[]): void {
  const arr = new Uint32Array(Math.max(gids.length, 1));
  arr.set(gids);
  check("setgroups", sym.syscall(SYS_setgroups, gids.length, ptr(arr) as unknown as number, 0, 0, 0));
}

export function setresgid(gid: number): void {
  check("setresgid", sym.syscall(SYS_setresgid, gid, gid, gid, 0, 0, 0));
}

export function setresuid(uid: number): void {
  check("setresuid", sym.syscall(SYS_setresuid, uid, uid, uid, 0, 0, 0));
}

export const PR = { SET_PDEATHSIG: 1, SET_NO_NEW_PRIVS: 38, CAPBSET_DROP: 24, CAP_AMBIENT: 47, CAP_AMBIENT_CLEAR_ALL: 4, SET_KEEPCAPS: 8, SET_CHILD_SUBREAPER: 36 };

export function prctl(option: number, arg2 = 0, arg3 = 0): number {
  const r = sym.prctl(option, arg2, arg3, 0, 0);
  check("prctl", r, String(option));
  return r;
}

/** capset(2) with version 3 headers: the same 64-bit mask for effective, permitted and inheritable. */
export function capset(effective: bigint, permitted: bigint, inheritable: bigint): void {
  const header = new Uint32Array([0x20080522, 0]);
  const data = new Uint32Array(6);
  const lo = (v: bigint) => Number(v & 0xffffffffn);
  const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
  data.set([lo(effective), lo(permitted), lo(inheritable), hi(effective), hi(permitted), hi(inheritable)]);
  check("capset", sym.syscall(SYS_capset, ptr(header) as unknown as number, ptr(data) as unknown as number, 0, 0, 0));
}

export function mknod(path: string, mode: number, dev: number): void {
  const p = cstr(path);
  check("mknod", sym.mknod(ptr(p), mode, dev), path);
}

export function makedev(major: number, minor: number): number {
  return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
}

const F_SETFD = 2;
const FD_CLOEXEC = 1;
export function setCloexec(fd: number): void {
  check("fcntl", sym.fcntl(fd, F_SETFD, FD_CLOEXEC));
}

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;
/** Makes reads on `fd` wait for data (a pipe Bun.spawn made is non-blocking). */
export function setBlocking(fd: number): void {
  const flags = sym.fcntl(fd, F_GETFL, 0);
  check("fcntl", flags);
  check("fcntl", sym.fcntl(fd, F_SETFL, flags & ~O_NONBLOCK));
}

export const RLIMIT: Record<string, number> = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8, as: 9, locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14, rttime: 15,
};

export function setrlimit(resource: number, soft: number, hard: number): void {
  const v = new BigInt64Array([BigInt(soft), BigInt(hard)]);
  check("setrlimit", sym.setrlimit(resource, ptr(v)));
}

/** prlimit(2) on another process (pid 0 = this one). */
export function prlimit(pid: number, resource: number, soft: number, hard: number): void {
  const v = new BigInt64Array([BigInt(soft), BigInt(hard)]);
  check("prlimit", sym.prlimit(pid, resource, ptr(v), null));
}

export function setsid(): void {
  check("setsid", sym.setsid());
}

const TIOCSCTTY = 0x540e;
const TIOCSWINSZ = 0x5414;
export function setControllingTty(fd: number): void {
  check("ioctl(TIOCSCTTY)", sym.ioctl(fd, TIOCSCTTY, 0));
}

export function setWindowSize(fd: number, rows: number, cols: number): void {
  const ws = new Uint16Array([rows, cols, 0, 0]);
  check("ioctl(TIOCSWINSZ)", sym.ioctl(fd, TIOCSWINSZ, ptr(ws) as unknown as number));
}

/**
 * A new pseudo-terminal: the master fd (O_RDWR|O_NOCTTY|O_CLOEXEC) and the
 * slave's path. With `ptmx` (a container's `/proc/PID/root/dev/pts/ptmx`) the
 * terminal lives in that container's devpts, so ttyname() works inside it.
 */
export function openPty(ptmx?: string): { master: number; slavePath: string } {
  const master = ptmx ? openSync(ptmx, fsConstants.O_RDWR | fsConstants.O_NOCTTY) : sym.posix_openpt(0o2 | 0o400 | 0o2000000);
  check("posix_openpt", master);
  check("grantpt", sym.grantpt(master));
  check("unlockpt", sym.unlockpt(master));
  return { master, slavePath: String(sym.ptsname(master)) };
}

export function umask(mask: number): number {
  return sym.umask(mask);
}

/**
 * Replaces this process; returns only by throwing. The program starts with every
 * signal at its default action, as under runc: Bun ignores SIGPIPE and SIGXFSZ,
 * and an ignored signal stays ignored across execve (`yes | head` then never ends).
 */
export function execve(path: string, argv: string[], envp: string[]): never {
  for (const sig of inheritedIgnores) sym.signal(sig, 0n /* SIG_DFL */);
  try {
    return execveAsIs(path, argv, envp);
  } finally {
    for (const sig of inheritedIgnores) sym.signal(sig, 1n /* SIG_IGN */); // execve failed: back to Bun's
  }
}

/** The signals Bun sets to be ignored (SIGPIPE, SIGXFSZ). */
const inheritedIgnores = [13, 25];

function execveAsIs(path: string, argv: string[], envp: string[]): never {
  const keep = [cstr(path), ...argv.map(cstr), ...envp.map(cstr)];
  const table = (list: Buffer[]) => {
    const t = new BigUint64Array(list.length + 1);
    list.forEach((b, i) => (t[i] = BigInt(ptr(b))));
    return t;
  };
  const a = table(keep.slice(1, 1 + argv.length));
  const e = table(keep.slice(1 + argv.length));
  sym.execve(ptr(keep[0]!), ptr(a), ptr(e));
  throw new SyscallError("execve", errno(), path);
}

export { CString };

/**
 * waitpid(-1, WNOHANG): one exited child of any kind, or undefined when none
 * has exited. `status` is the raw wait status.
 */
export function reapAny(): { pid: number; status: number } | undefined {
  const st = new Int32Array(1);
  const pid = sym.waitpid(-1, ptr(st), 1 /* WNOHANG */);
  return pid > 0 ? { pid, status: st[0]! } : undefined;
}

/** Exit code from a raw wait status, as a shell reports it (128 + signal for a signal death). */
export function waitStatusCode(status: number): number {
  const sig = status & 0x7f;
  return sig === 0 ? (status >> 8) & 0xff : 128 + sig;
}
