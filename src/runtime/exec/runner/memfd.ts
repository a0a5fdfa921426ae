// Bytes in an anonymous file (memfd), close-on-exec here: the runner's
// program (it maps its fd 4, no file on disk needed) and the runner itself.
import { ptr } from "bun:ffi";
import { writeSync } from "node:fs";
import * as c from "../../libc.ts";

// x86_64 numbers: only an x86_64 runner uses these.
const SYS_memfd_create = 319;
const SYS_fcntl = 72;
const MFD_CLOEXEC = 1;
const MFD_ALLOW_SEALING = 2;
const MFD_EXEC = 0x10;
const F_ADD_SEALS = 1033;
const F_SEAL_ALL = 1 | 2 | 4 | 8; // SEAL, SHRINK, GROW, WRITE

/** A descriptor of a new memfd holding `bytes`; `sealed`: no one can change them from now on. */
export function memfdWith(name: string, bytes: Buffer, o: { sealed?: boolean; executable?: boolean } = {}): number {
  const n = Buffer.from(`${name}\0`);
  const flags = MFD_CLOEXEC | (o.sealed ? MFD_ALLOW_SEALING : 0);
  let fd: number;
  try {
    fd = c.syscall("memfd_create", SYS_memfd_create, Number(ptr(n)), flags | (o.executable ? MFD_EXEC : 0));
  } catch (e) {
    // Before Linux 6.3 there is no MFD_EXEC (and every memfd may be executed).
    if (!o.executable || (e as c.SyscallError).errno !== 22) throw e;
    fd = c.syscall("memfd_create", SYS_memfd_create, Number(ptr(n)), flags);
  }
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
  if (o.sealed) c.syscall("fcntl", SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_ALL);
  return fd;
}
