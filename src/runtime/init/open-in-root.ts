// Opening a path inside a container's root as the kernel resolves it there:
// openat2(RESOLVE_IN_ROOT) treats the root as "/" for every symlink and "..",
// so an image's `/data -> /etc` or `-> ../../..` stays inside. Missing
// directories are made one component at a time relative to the descriptor of
// their resolved parent, and the caller mounts onto /proc/self/fd/N: no path
// is walked again between the check and the mount.
// (Kept in its own file so it can move to a shared resolver in src/runtime/fs.)
import { FFIType, ptr } from "bun:ffi";
import { closeSync, constants } from "node:fs";
import { lazySymbols } from "../../ffi/lazy-dlopen.ts";
import { errno, SyscallError } from "../libc.ts";

const { i32, i64, u32, u64, ptr: P } = FFIType;
const sym = lazySymbols("libc.so.6", {
  syscall: { args: [i64, i64, i64, i64, i64, i64], returns: i64 },
  mkdirat: { args: [i32, P, u32], returns: i32 },
  openat: { args: [i32, P, i32, u32], returns: i32 },
  readlinkat: { args: [i32, P, P, u64], returns: i64 },
});

const SYS_openat2 = 437; // the same on x86_64 and arm64
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_IN_ROOT = 0x10;
const MAX_LINKS = 40;
const ENOENT = 2;

function cstr(s: string): Buffer {
  return Buffer.from(s + "\0");
}

/** openat2(dirfd, path, flags) resolved inside dirfd: the descriptor, or -errno. */
function tryOpenat2(dirfd: number, path: string, flags: number): number {
  const how = new BigUint64Array([BigInt(flags | O_CLOEXEC), 0n, BigInt(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)]);
  const p = cstr(path || ".");
  // EAGAIN: a rename or mount anywhere on the host raced the lookup, which RESOLVE_IN_ROOT
  // then refuses to trust (it cannot tell the race from an escape). Looking up again is safe.
  for (let attempt = 0; ; attempt++) {
    const fd = Number(sym.syscall(SYS_openat2, dirfd, ptr(p) as unknown as number, ptr(how) as unknown as number, 24, 0));
    if (fd >= 0) return fd;
    const err = errno();
    if (err !== 11 /* EAGAIN */ || attempt >= 100) return -err;
  }
}

/** openat2(dirfd, path, flags) resolved inside dirfd (an absolute path too); throws SyscallError. */
export function openat2(dirfd: number, path: string, flags: number): number {
  const fd = tryOpenat2(dirfd, path, flags);
  if (fd < 0) throw new SyscallError("openat2", -fd, path);
  return fd;
}

/** Binds the calls above now (a standby's idle time) rather than at the first mount of a start. */
export function bindOpenInRoot(): void {
  void sym.syscall;
}

/** An O_PATH descriptor of the root directory itself. */
export function openRoot(rootfs: string): number {
  return openat2(-100 /* AT_FDCWD */, rootfs, O_PATH | constants.O_DIRECTORY);
}

function readlinkIn(dirfd: number, name: string): string {
  const buf = Buffer.alloc(4096);
  const n = Number(sym.readlinkat(dirfd, ptr(cstr(name)), ptr(buf), buf.length));
  if (n < 0) throw new SyscallError("readlinkat", errno(), name);
  return buf.subarray(0, n).toString();
}

/**
 * An O_PATH descriptor of `path` inside the root, made first if missing:
 * directories for all but the last component, and the last as `make` says.
 * A dangling symlink on the way is followed (inside the root) and its target made.
 */
export function openInRoot(rootFd: number, path: string, make?: "dir" | "file"): number {
  return openOrMakeInRoot(rootFd, path, make).fd;
}

/** openInRoot, also saying whether the last component was made here (so holds nothing of the image's). */
export function openOrMakeInRoot(rootFd: number, path: string, make?: "dir" | "file"): { fd: number; made: boolean } {
  const parts = components(path);
  const fd = tryOpenat2(rootFd, parts.join("/"), O_PATH);
  if (fd >= 0) return { fd, made: false };
  if (!make || fd !== -ENOENT) throw new SyscallError("openat2", -fd, parts.join("/"));
  return makeLastIn(rootFd, parts, make) ?? { fd: makeEach(rootFd, parts, make), made: true };
}

/**
 * The common case of a missing destination: its parent is there, and the
 * last component is made in it (its descriptor, resolved inside the root)
 * and opened through that descriptor. Undefined when the parent is missing
 * too or the name is a dangling symlink: makeEach takes those.
 */
function makeLastIn(rootFd: number, parts: string[], make: "dir" | "file"): { fd: number; made: boolean } | undefined {
  if (!parts.length) return undefined;
  const parent = tryOpenat2(rootFd, parts.slice(0, -1).join("/"), O_PATH | constants.O_DIRECTORY);
  if (parent < 0) return undefined;
  try {
    if (!makeIn(parent, parts[parts.length - 1]!, make)) return undefined;
    return { fd: openat2(parent, parts[parts.length - 1]!, O_PATH), made: true };
  } finally {
    closeSync(parent);
  }
}

/** Makes `name` in the directory `parent`; false when something (a dangling symlink) is already there. */
function makeIn(parent: number, name: string, make: "dir" | "file"): boolean {
  const file = make === "file";
  const r = file
    ? sym.openat(parent, ptr(cstr(name)), constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_WRONLY | O_CLOEXEC, 0o755)
    : sym.mkdirat(parent, ptr(cstr(name)), 0o755);
  if (r >= 0) {
    if (file) closeSync(r);
    return true;
  }
  const err = errno();
  if (err !== 17 /* EEXIST */) throw new SyscallError(file ? "openat" : "mkdirat", err, name);
  return false;
}

/** Makes each missing component in turn, following dangling symlinks (inside the root) to their targets. */
function makeEach(rootFd: number, path: string[], make: "dir" | "file"): number {
  let parts = path;
  for (let links = 0, i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    const last = i === parts.length;
    const there = tryOpenat2(rootFd, prefix, O_PATH);
    if (there >= 0) {
      closeSync(there);
      continue;
    }
    if (there !== -ENOENT) throw new SyscallError("openat2", -there, prefix);
    const parent = openat2(rootFd, parts.slice(0, i - 1).join("/"), O_PATH | constants.O_DIRECTORY);
    const name = parts[i - 1]!;
    try {
      if (makeIn(parent, name, last ? make : "dir")) continue;
      // A symlink whose target is missing: go on from its target, resolved inside the root.
      if (++links > MAX_LINKS) throw new SyscallError("openat2", 40 /* ELOOP */, path.join("/"));
      const target = readlinkIn(parent, name);
      const rest = parts.slice(i);
      parts = [...(target.startsWith("/") ? [] : parts.slice(0, i - 1)), ...components(target), ...rest];
      i = 0;
    } finally {
      closeSync(parent);
    }
  }
  return openat2(rootFd, parts.join("/"), O_PATH);
}

/**
 * What the symlink at `path` inside the root points to (its parents resolved
 * inside the root, the last component not followed); undefined when it is no
 * symlink or is missing. For `cp`, to follow a container's links by the kernel's rules.
 */
export function linkTargetInRoot(rootFd: number, path: string): string | undefined {
  const parts = components(path);
  if (!parts.length) return undefined;
  let parent: number;
  try {
    parent = openat2(rootFd, parts.slice(0, -1).join("/"), O_PATH | constants.O_DIRECTORY);
  } catch {
    return undefined;
  }
  try {
    return readlinkIn(parent, parts[parts.length - 1]!);
  } catch {
    return undefined; // EINVAL (not a symlink) or ENOENT
  } finally {
    closeSync(parent);
  }
}

/** Path components; ".." stays (openat2 keeps it inside the root). */
function components(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

/** The path the kernel resolves to the descriptor's file (for mount and copy). */
export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}
