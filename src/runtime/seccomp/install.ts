// Installs a compiled filter on the calling thread with seccomp(2). Without
// no_new_privs the kernel asks for CAP_SYS_ADMIN, so a caller that drops its
// capabilities installs first (process.ts orders this). Only this thread is
// filtered: it is the one that execve()s, and the program inherits the filter.
import { ptr } from "bun:ffi";
import { syscall } from "../libc.ts";

const SYS_seccomp = process.arch === "arm64" ? 277 : 317;
const SECCOMP_SET_MODE_FILTER = 1;

/** A filter as the runtime spec carries it: the sock_filter array in base64 and seccomp(2)'s flags. */
export interface SeccompProgram {
  program: string;
  flags: number;
}

export function installFilter(p: SeccompProgram): void {
  const insns = Buffer.from(p.program, "base64");
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
  const fprog = new BigUint64Array(2);
  fprog[0] = BigInt(insns.length / 8);
  fprog[1] = BigInt(ptr(insns));
  syscall("seccomp", SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.flags, ptr(fprog) as unknown as number);
}
