// A resolved seccomp filter compiled to classic BPF (struct sock_filter), the
// program seccomp(2) runs on every system call with struct seccomp_data:
//   int nr; u32 arch; u64 instruction_pointer; u64 args[6];
// Layout: the arch is checked first (an unknown one kills the process, as
// libseccomp's default does); each known arch has a section that loads the
// call number and finds its action by binary search over ranges of numbers
// (a few compares per call instead of a walk of hundreds). Calls with
// argument rules jump to a block that compares the 64-bit arguments half by
// half. Classic BPF's conditional jumps reach 255 instructions at most, so
// every far jump goes through an unconditional `ja`.
import { ENOSYS, EPERM, RET, type FilterRule, type ResolvedFilter } from "./resolve.ts";
import type { ProfileArg } from "./profile.ts";
import { syscallNumber, type NumberedArch } from "./syscall-numbers.ts";

const LD_W_ABS = 0x20, ALU_AND_K = 0x54, JA = 0x05, JEQ_K = 0x15, JGT_K = 0x25, JGE_K = 0x35, RET_K = 0x06;
const OFF_NR = 0, OFF_ARCH = 4;
const argLow = (i: number) => 16 + 8 * i;
const argHigh = (i: number) => 20 + 8 * i;

/** AUDIT_ARCH_* (linux/audit.h): seccomp_data's arch for each. */
const AUDIT_ARCH: Record<NumberedArch, number> = { x86_64: 0xc000003e, i386: 0x40000003, aarch64: 0xc00000b7, arm: 0x40000028 };
/** The arches whose arguments are 64 bits wide: both halves are compared. */
const WIDE: NumberedArch[] = ["x86_64", "aarch64"];
/** x32 calls come in as x86_64 with this bit set in the number. */
const X32_SYSCALL_BIT = 0x40000000;
/** ARM's private calls (breakpoint, cacheflush, set_tls…) are numbered from here, far above the others. */
const ARM_PRIVATE_BASE = 0x0f0000;
/** The kernel's limit (BPF_MAXINSNS). */
const MAX_INSNS = 4096;

type Target = string | number; // a label, or a relative offset (0: the next instruction)

interface Insn {
  code: number;
  jt?: Target;
  jf?: Target;
  k?: number;
  /** For `ja`: the label to reach. */
  to?: string;
}

class Assembler {
  readonly insns: Insn[] = [];
  private readonly labels = new Map<string, number>();

  label(name: string): void {
    this.labels.set(name, this.insns.length);
  }
  load(offset: number): void {
    this.insns.push({ code: LD_W_ABS, k: offset });
  }
  and(mask: number): void {
    this.insns.push({ code: ALU_AND_K, k: mask >>> 0 });
  }
  jump(code: number, k: number, jt: Target, jf: Target): void {
    this.insns.push({ code, k: k >>> 0, jt, jf });
  }
  ja(to: string): void {
    this.insns.push({ code: JA, to });
  }
  ret(value: number): void {
    this.insns.push({ code: RET_K, k: value >>> 0 });
  }

  encode(): Uint8Array {
    if (this.insns.length > MAX_INSNS) throw new Error(`seccomp filter too large: ${this.insns.length} instructions (the kernel takes ${MAX_INSNS})`);
    const out = new Uint8Array(this.insns.length * 8);
    const view = new DataView(out.buffer);
    const at = (name: string) => {
      const i = this.labels.get(name);
      if (i === undefined) throw new Error(`seccomp compiler: no label ${name}`);
      return i;
    };
    this.insns.forEach((x, i) => {
      const rel = (t: Target | undefined) => {
        const off = typeof t === "string" ? at(t) - i - 1 : (t ?? 0);
        if (off < 0 || off > 255) throw new Error(`seccomp compiler: conditional jump of ${off} from ${i}`);
        return off;
      };
      view.setUint16(i * 8, x.code, true);
      view.setUint8(i * 8 + 2, rel(x.jt));
      view.setUint8(i * 8 + 3, rel(x.jf));
      view.setUint32(i * 8 + 4, x.to !== undefined ? at(x.to) - i - 1 : (x.k ?? 0), true);
    });
    return out;
  }
}

/** What a range of call numbers leads to: a return value, or a label of an argument block. */
type Outcome = { ret: number } | { block: string };

interface Range {
  from: number; // inclusive; the range ends where the next begins
  outcome: Outcome;
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  return "ret" in a && "ret" in b ? a.ret === b.ret : "block" in a && "block" in b && a.block === b.block;
}

/** Emits jumps that end in the outcome of the range holding the number in A. */
function emitSearch(a: Assembler, ranges: Range[], lo: number, hi: number, prefix: string): void {
  if (lo === hi) {
    const o = ranges[lo]!.outcome;
    if ("ret" in o) a.ret(o.ret);
    else a.ja(o.block);
    return;
  }
  const mid = (lo + hi + 1) >> 1;
  const right = `${prefix}.r${mid}`;
  a.jump(JGE_K, ranges[mid]!.from, 0, 1);
  a.ja(right);
  emitSearch(a, ranges, lo, mid - 1, prefix);
  a.label(right);
  emitSearch(a, ranges, mid, hi, prefix);
}

/** Jumps to `fail` unless argument `arg` satisfies the comparison; falls through when it does. */
function emitCompare(a: Assembler, arg: ProfileArg, fail: string, pass: string, wide: boolean): void {
  const v = BigInt(arg.value);
  const hi = Number(v >> 32n), lo = Number(v & 0xffffffffn);
  const lowOnly = !wide;
  switch (arg.op) {
    case "SCMP_CMP_EQ":
      if (!lowOnly) {
        a.load(argHigh(arg.index));
        a.jump(JEQ_K, hi, 0, fail);
      }
      a.load(argLow(arg.index));
      a.jump(JEQ_K, lo, 0, fail);
      return;
    case "SCMP_CMP_NE":
      if (!lowOnly) {
        a.load(argHigh(arg.index));
        a.jump(JEQ_K, hi, 0, pass);
      }
      a.load(argLow(arg.index));
      a.jump(JEQ_K, lo, fail, 0);
      return;
    case "SCMP_CMP_MASKED_EQ": {
      const d = BigInt(arg.valueTwo ?? 0);
      if (!lowOnly) {
        a.load(argHigh(arg.index));
        a.and(hi);
        a.jump(JEQ_K, Number(d >> 32n), 0, fail);
      }
      a.load(argLow(arg.index));
      a.and(lo);
      a.jump(JEQ_K, Number(d & 0xffffffffn), 0, fail);
      return;
    }
    case "SCMP_CMP_GT":
    case "SCMP_CMP_GE": {
      // hi > v.hi passes; hi < v.hi fails; equal: the low halves decide.
      if (!lowOnly) {
        a.load(argHigh(arg.index));
        a.jump(JGT_K, hi, pass, 0);
        a.jump(JEQ_K, hi, 0, fail);
      }
      a.load(argLow(arg.index));
      a.jump(arg.op === "SCMP_CMP_GT" ? JGT_K : JGE_K, lo, 0, fail);
      return;
    }
    case "SCMP_CMP_LT":
    case "SCMP_CMP_LE": {
      if (!lowOnly) {
        a.load(argHigh(arg.index));
        a.jump(JGT_K, hi, fail, 0);
        a.jump(JEQ_K, hi, 0, pass);
      }
      a.load(argLow(arg.index));
      a.jump(arg.op === "SCMP_CMP_LT" ? JGE_K : JGT_K, lo, fail, 0);
      return;
    }
    default:
      throw new Error(`seccomp compiler: operator ${arg.op}`);
  }
}

/** One arch's section: number ranges, then the argument blocks they jump to. */
function emitSection(a: Assembler, f: ResolvedFilter, arch: NumberedArch): void {
  const byNumber = new Map<number, FilterRule[]>();
  for (const rule of f.rules) {
    for (const name of rule.names) {
      const nr = syscallNumber(arch, name);
      if (nr === undefined) continue; // a call this arch does not have (chown32 on x86_64): skipped, as runc does
      const list = byNumber.get(nr) ?? [];
      if (!list.includes(rule)) list.push(rule);
      byNumber.set(nr, list);
    }
  }
  const outcomes = new Map<number, Outcome>();
  const blocks: [string, FilterRule[]][] = [];
  for (const [nr, rules] of byNumber) {
    // A rule without conditions decides alone (libseccomp's reading too); else the first whose conditions hold.
    const plain = rules.find((r) => r.args.length === 0);
    if (plain) outcomes.set(nr, { ret: plain.action });
    else {
      const block = `${arch}.nr${nr}`;
      outcomes.set(nr, { block });
      blocks.push([block, rules]);
    }
  }
  const numbers = [...outcomes.keys()].sort((x, y) => x - y);
  // Calls newer than any the profile names fail with ENOSYS, so that a libc can fall back to an
  // older call (as runc does); a profile that allows by default lets them through.
  const newer = f.defaultAction === RET.ALLOW || f.defaultAction === RET.LOG ? f.defaultAction : RET.ERRNO | ENOSYS;
  const ranges: Range[] = [];
  const push = (from: number, outcome: Outcome) => {
    const last = ranges.at(-1);
    if (last && sameOutcome(last.outcome, outcome)) return;
    ranges.push({ from, outcome });
  };
  let next = 0;
  const take = (nr: number) => {
    if (nr > next) push(next, { ret: f.defaultAction });
    push(nr, outcomes.get(nr)!);
    next = nr + 1;
  };
  const privateBase = arch === "arm" ? ARM_PRIVATE_BASE : Infinity;
  numbers.filter((nr) => nr < privateBase).forEach(take);
  push(next, { ret: newer });
  // ARM's private calls: the profile's word for each named one, its default for the rest.
  if (arch === "arm") {
    next = ARM_PRIVATE_BASE;
    push(next, { ret: f.defaultAction });
    numbers.filter((nr) => nr >= privateBase).forEach(take);
    push(next, { ret: f.defaultAction });
  }
  // x32 is refused outright: its numbers would otherwise reach a deny list's gaps.
  if (arch === "x86_64") push(X32_SYSCALL_BIT, { ret: RET.ERRNO | EPERM });

  a.label(`${arch}.section`);
  a.load(OFF_NR);
  emitSearch(a, ranges, 0, ranges.length - 1, arch);
  for (const [block, rules] of blocks) {
    a.label(block);
    rules.forEach((rule, i) => {
      const fail = `${block}.f${i}`;
      rule.args.forEach((arg, j) => {
        const pass = `${block}.p${i}.${j}`;
        emitCompare(a, arg, fail, pass, WIDE.includes(arch));
        a.label(pass);
      });
      a.ret(rule.action);
      a.label(fail);
    });
    a.ret(f.defaultAction);
  }
}

/** The filter as an array of struct sock_filter, ready for seccomp(SECCOMP_SET_MODE_FILTER). */
export function compileFilter(f: ResolvedFilter): Uint8Array {
  const a = new Assembler();
  // x32 has no section: its calls are refused within x86_64's (above).
  const arches = f.arches.filter((x): x is NumberedArch => x !== "x32");
  a.load(OFF_ARCH);
  for (const arch of arches) {
    a.jump(JEQ_K, AUDIT_ARCH[arch], 0, 1);
    a.ja(`${arch}.section`);
  }
  a.ret(RET.KILL_PROCESS);
  for (const arch of arches) emitSection(a, f, arch);
  return a.encode();
}
