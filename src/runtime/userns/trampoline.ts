// The starter: a tiny static x86_64 program berth writes itself (no libc, no
// threads), through which a process enters a user namespace. A Bun process
// cannot: unshare(CLONE_NEWUSER) and setns() into a user namespace refuse a
// process with more than one thread, and Bun runs several from its start.
//
//   starter c PROG ARGS…  clone(CLONE_NEWUSER|CLONE_NEWPID) a child, send its
//                         pid (int32, or -errno) on fd 4, then wait for it and
//                         exit with its status (128+signal when killed). The
//                         child waits for one byte on fd 4 — the parent's
//                         sign that uid_map and gid_map are written — becomes
//                         root of the namespace (setgroups, setresgid,
//                         setresuid to 0) and execs PROG.
//   starter e PROG ARGS…  setns(fd 4, CLONE_NEWUSER), become its root, exec PROG.
// PR_SET_PDEATHSIG ties the waiting starter to its parent (the shim).
//
// The machine code below is assembled from starter.s beside this file (GNU as,
// Intel syntax); tests/security/starter-bytes.test.ts checks it byte for byte.
import { installExecutable, staticElf, staticElfSupported } from "../static-elf.ts";

const code = Buffer.from(
  "4889e3488b43108038650f84d6000000bf01000000be09000000b89d0000000f05bf1100003031f631d24531d24531c0b8380000000f" +
    "054885c00f84870000004989c44883ec10890424bf040000004889e6ba04000000b8010000000f054d85e4785abf04000000b8030000" +
    "000f05bf03000000b8030000000f054c89e74889e631d24531d2b83d0000000f054883f8fc74e84885c078258b042489c783e77f740b" +
    "81c780000000e9ab00000089c7c1ef0881e7ff000000e99b000000bf7d000000e9910000004883ec1031ffbf040000004889e6ba0100" +
    "000031c00f054883f801756feb16bf04000000be00000010b8340100000f054885c07557bf04000000b8030000000f0531ff31f6b874" +
    "0000000f054885c0753b31ff31f631d2b8770000000f054885c0752931ff31f631d2b8750000000f054885c07517488b7b18488d7318" +
    "488b03488d54c310b83b0000000f05bf7f000000b8e70000000f05",
  "hex",
);

/** Whether this machine runs the starter (it is x86_64 code). */
export function starterSupported(): boolean {
  return staticElfSupported();
}

/** Writes the starter at `path` (root's only), unless it is there already with these bytes. */
export function installStarter(path: string): void {
  installExecutable(path, staticElf(code));
}
