// The tiny static x86_64 programs berth writes itself (the user namespace
// starter, the exec runner): machine code wrapped in the smallest ELF that
// Linux runs, written where the runtime executes them.
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const base = 0x400000;
const headers = 64 + 56;

/** A static ELF64 executable: one read+execute segment holding the headers and the code. */
export function staticElf(code: Buffer): Buffer {
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

/** Whether this machine runs them (they are x86_64 code). */
export function staticElfSupported(): boolean {
  return process.arch === "x64";
}

/** Writes `bytes` at `path` (root's only), unless it is there already with these bytes. */
export function installExecutable(path: string, bytes: Buffer): void {
  if (existsSync(path) && readFileSync(path).equals(bytes)) return;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes, { mode: 0o700 });
  chmodSync(tmp, 0o700);
  renameSync(tmp, path);
}
