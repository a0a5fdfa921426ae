// Device rules as a BPF_PROG_TYPE_CGROUP_DEVICE program, the only form cgroup
// v2 takes them in. The kernel runs it on every mknod and open of a device
// node by a process of the cgroup, with a context of three u32s:
//   access_type = (access << 16) | type   (type: 1 block, 2 char; access: 1 mknod, 2 read, 4 write)
//   major, minor
// and allows the operation when it returns 1.
//
// The program starts from the list's default (its leading "a" rule) and, for a
// deny-by-default list, ORs together the access bits of every allow rule that
// matches the device; the request passes when it asks for no bit outside them.
// So two rules granting "m" and "rw" to one device together grant "rwm".
import type { DeviceRule } from "./rules.ts";

// Registers (r1 holds the context on entry; r0 is the result).
const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6;

// Opcodes (linux/bpf.h: class | op | source).
const LDX_MEM_W = 0x61;
const ALU64_MOV_K = 0xb7, ALU64_MOV_X = 0xbf, ALU64_OR_K = 0x47, ALU64_XOR_K = 0xa7, ALU64_AND_X = 0x5f;
const ALU32_AND_K = 0x54, ALU32_RSH_K = 0x74;
const JMP_JNE_K = 0x55, EXIT = 0x95;

interface Insn {
  code: number;
  dst: number;
  src?: number;
  off?: number;
  imm?: number;
}

const typeCode = { b: 1, c: 2 } as const;
const accessBits = (access: string) => (access.includes("m") ? 1 : 0) | (access.includes("r") ? 2 : 0) | (access.includes("w") ? 4 : 0);

/**
 * The program for `rules`, or undefined when the rules allow everything (no
 * program needed). Only the shapes berth makes are accepted: a leading "a"
 * rule for the default, then allow rules.
 */
export function deviceProgram(rules: readonly DeviceRule[]): Uint8Array | undefined {
  const [first, ...rest] = rules;
  if (!first || first.type !== "a") throw new Error("device rules must start with a rule for all devices");
  if (rest.some((r) => !r.allow || r.type === "a")) throw new Error("after the default, only allow rules for c or b devices are supported");
  if (first.allow && accessBits(first.access) === 7) return undefined;

  const insns: Insn[] = [
    { code: LDX_MEM_W, dst: R2, src: R1, off: 0 }, // access_type
    { code: LDX_MEM_W, dst: R4, src: R1, off: 4 }, // major
    { code: LDX_MEM_W, dst: R5, src: R1, off: 8 }, // minor
    { code: ALU64_MOV_X, dst: R3, src: R2 },
    { code: ALU32_AND_K, dst: R3, imm: 0xffff }, // r3 = device type
    { code: ALU32_RSH_K, dst: R2, imm: 16 }, // r2 = access asked for
    { code: ALU64_MOV_K, dst: R6, imm: first.allow ? accessBits(first.access) : 0 }, // r6 = access granted
  ];
  for (const rule of rest) {
    const checks: Insn[] = [];
    checks.push({ code: JMP_JNE_K, dst: R3, imm: typeCode[rule.type as "b" | "c"] });
    if (rule.major !== undefined) checks.push({ code: JMP_JNE_K, dst: R4, imm: rule.major });
    if (rule.minor !== undefined) checks.push({ code: JMP_JNE_K, dst: R5, imm: rule.minor });
    // Each failed check skips the rest of this rule's block, the OR included.
    checks.forEach((insn, i) => (insn.off = checks.length - i));
    insns.push(...checks, { code: ALU64_OR_K, dst: R6, imm: accessBits(rule.access) });
  }
  insns.push(
    { code: ALU64_XOR_K, dst: R6, imm: -1 }, // r6 = bits not granted
    { code: ALU64_AND_X, dst: R2, src: R6 }, // r2 = bits asked for but not granted
    { code: ALU64_MOV_K, dst: R0, imm: 0 },
    { code: JMP_JNE_K, dst: R2, imm: 0, off: 1 },
    { code: ALU64_MOV_K, dst: R0, imm: 1 },
    { code: EXIT, dst: 0 },
  );
  return encode(insns);
}

function encode(insns: Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const view = new DataView(out.buffer);
  insns.forEach((x, i) => {
    view.setUint8(i * 8, x.code);
    view.setUint8(i * 8 + 1, ((x.src ?? 0) << 4) | x.dst);
    view.setInt16(i * 8 + 2, x.off ?? 0, true);
    view.setInt32(i * 8 + 4, x.imm ?? 0, true);
  });
  return out;
}
