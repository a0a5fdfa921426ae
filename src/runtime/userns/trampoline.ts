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
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

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

const base = 0x400000;
const headers = 64 + 56;

/** A static ELF64 executable: one read+execute segment holding the headers and the code. */
function elf(): Buffer {
  const size = headers + code.length;
  const b = Buffer.alloc(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // ELF, 64-bit, little-endian, version 1
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(0x3e, 18); // x86_64
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(BigInt(base + headers), 24); // entry
  b.writeBigUInt64LE(64n, 32); // program headers right after this one
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(1, 56);
  b.writeUInt32LE(1, 64); // PT_LOAD
  b.writeUInt32LE(5, 68); // PF_R | PF_X
  b.writeBigUInt64LE(BigInt(base), 80);
  b.writeBigUInt64LE(BigInt(base), 88);
  b.writeBigUInt64LE(BigInt(size), 96);
  b.writeBigUInt64LE(BigInt(size), 104);
  b.writeBigUInt64LE(0x1000n, 112);
  code.copy(b, headers);
  return b;
}

/** Whether this machine runs the starter (it is x86_64 code). */
export function starterSupported(): boolean {
  return process.arch === "x64";
}

/** Writes the starter at `path` (root's only), unless it is there already with these bytes. */
export function installStarter(path: string): void {
  const bytes = elf();
  if (existsSync(path) && readFileSync(path).equals(bytes)) return;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes, { mode: 0o700 });
  chmodSync(tmp, 0o700);
  renameSync(tmp, path);
}
