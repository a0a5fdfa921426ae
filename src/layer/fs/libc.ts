// The few libc calls node:fs lacks: extended attributes (l*xattr, never
// following symlinks) and mknod for devices, fifos and overlay whiteouts.
import { FFIType, ptr, read } from "bun:ffi";
import { lazySymbols } from "../../ffi/lazy-dlopen.ts";
import { SystemError } from "../../errors.ts";

const sym = lazySymbols("libc.so.6", {
  lsetxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  lgetxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  llistxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  mknod: { args: [FFIType.ptr, FFIType.u32, FFIType.u64], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
});

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 13: "EACCES", 17: "EEXIST", 22: "EINVAL", 28: "ENOSPC", 61: "ENODATA", 95: "EOPNOTSUPP", 34: "ERANGE",
};

/** An errno failure, shaped like node's fs errors (code, errno, syscall, path). */
export class LibcError extends SystemError {
  constructor(readonly syscall: string, readonly errno: number, readonly path: string) {
    super(`${syscall} ${path}: ${String(sym.strerror(errno))}`);
  }
  get code(): string {
    return ERRNO_NAMES[this.errno] ?? `E${this.errno}`;
  }
}

function errno(): number {
  return read.i32(sym.__errno_location()!, 0);
}

function cstr(s: string): Buffer {
  return Buffer.from(s + "\0");
}

export function lsetxattr(path: string, name: string, value: Uint8Array): void {
  const p = cstr(path);
  const n = cstr(name);
  // A zero-length value still needs a valid pointer.
  const v = value.length ? value : new Uint8Array(1);
  if (sym.lsetxattr(ptr(p), ptr(n), ptr(v), value.length, 0) !== 0) throw new LibcError("lsetxattr", errno(), `${path} (${name})`);
}

export function lgetxattr(path: string, name: string): Uint8Array | undefined {
  const p = cstr(path);
  const n = cstr(name);
  let buf = new Uint8Array(256);
  for (;;) {
    const r = Number(sym.lgetxattr(ptr(p), ptr(n), ptr(buf), buf.length));
    if (r >= 0) return buf.slice(0, r);
    const e = errno();
    if (e === 61) return undefined; // ENODATA
    if (e !== 34) throw new LibcError("lgetxattr", e, `${path} (${name})`);
    const size = Number(sym.lgetxattr(ptr(p), ptr(n), null, 0));
    if (size < 0) throw new LibcError("lgetxattr", errno(), `${path} (${name})`);
    buf = new Uint8Array(Math.max(size, 1));
  }
}

export function llistxattr(path: string): string[] {
  const p = cstr(path);
  for (;;) {
    const size = Number(sym.llistxattr(ptr(p), null, 0));
    if (size < 0) {
      const e = errno();
      if (e === 95) return []; // EOPNOTSUPP: the fs has none
      throw new LibcError("llistxattr", e, path);
    }
    if (size === 0) return [];
    const buf = new Uint8Array(size);
    const r = Number(sym.llistxattr(ptr(p), ptr(buf), size));
    if (r < 0) {
      if (errno() === 34) continue; // grew meanwhile
      throw new LibcError("llistxattr", errno(), path);
    }
    return new TextDecoder().decode(buf.subarray(0, r)).split("\0").filter(Boolean);
  }
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** Linux's dev_t encoding (glibc makedev). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  const p = cstr(path);
  if (sym.mknod(ptr(p), mode, makedev(major, minor)) !== 0) throw new LibcError("mknod", errno(), path);
}
