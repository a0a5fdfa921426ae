// A program for the exec runner (runner.s): system calls with their
// arguments, and the data they point at, laid out as the runner reads it. Each
// call carries what to say when it fails, so that the runner only reports an
// index and an errno.
import { SyscallError } from "../../libc.ts";
import { StartError } from "../../start-error.ts";

/** Bytes in the program; `pointers` are offsets in them that hold another block's address. */
export class Block {
  constructor(readonly bytes: Buffer, readonly pointers: { at: number; to: Block }[] = []) {}

  static string(s: string): Block {
    return new Block(Buffer.from(s + "\0"));
  }

  /** A NULL-terminated array of pointers to strings (argv, envp). */
  static strings(list: string[]): Block {
    return new Block(Buffer.alloc(8 * (list.length + 1)), list.map((s, i) => ({ at: 8 * i, to: Block.string(s) })));
  }
}

export type Arg = number | bigint | Block;

interface Call {
  nr: number;
  args: Arg[];
  /** The result required; undefined: any that is not an error. */
  expect?: number;
  fail: (errno: number) => StartError;
}

const CALL_SIZE = 64;

export class RunnerProgram {
  private calls: Call[] = [];

  /** `what` names the call in a failure: "exec failed: WHAT: strerror". */
  call(nr: number, args: Arg[], what: string, expect?: number): this {
    return this.callOr(nr, args, (errno) => new StartError(`exec failed: ${new SyscallError(what, errno).message}`, 126), expect);
  }

  callOr(nr: number, args: Arg[], fail: (errno: number) => StartError, expect?: number): this {
    this.calls.push({ nr, args, expect, fail });
    return this;
  }

  /** What the runner's report (u32 call index, u32 errno) means. */
  failure(report: Buffer): StartError {
    const call = report.length >= 8 ? this.calls[report.readUInt32LE(0)] : undefined;
    if (!call) return new StartError("exec failed: the exec runner ended without starting the program", 126);
    const errno = report.readUInt32LE(4);
    return errno ? call.fail(errno) : new StartError(`exec failed: call ${report.readUInt32LE(0)} returned an unexpected result`, 126);
  }

  /** The bytes: counts, relocations, calls, then every block (8-aligned). */
  bytes(): Buffer {
    const blocks: Block[] = [];
    const visit = (b: Block) => {
      if (blocks.includes(b)) return;
      blocks.push(b);
      for (const p of b.pointers) visit(p.to);
    };
    for (const call of this.calls) for (const a of call.args) if (a instanceof Block) visit(a);
    const pointerArgs = this.calls.reduce((n, call) => n + call.args.filter((a) => a instanceof Block).length, 0);
    const relocations = pointerArgs + blocks.reduce((n, b) => n + b.pointers.length, 0);
    const callsAt = 16 + 8 * relocations;
    let end = callsAt + CALL_SIZE * this.calls.length;
    const offset = new Map<Block, number>();
    for (const b of blocks) {
      offset.set(b, end);
      end += (b.bytes.length + 7) & ~7;
    }
    const out = Buffer.alloc(end);
    out.writeBigUInt64LE(BigInt(relocations), 0);
    out.writeBigUInt64LE(BigInt(this.calls.length), 8);
    let reloc = 16;
    const pointer = (at: number, to: Block) => {
      out.writeBigUInt64LE(BigInt(offset.get(to)!), at);
      out.writeBigUInt64LE(BigInt(at), reloc);
      reloc += 8;
    };
    this.calls.forEach((call, i) => {
      const at = callsAt + CALL_SIZE * i;
      out.writeBigUInt64LE(BigInt(call.nr), at);
      call.args.forEach((a, j) => {
        if (a instanceof Block) pointer(at + 8 + 8 * j, a);
        else out.writeBigInt64LE(BigInt(a), at + 8 + 8 * j);
      });
      out.writeBigInt64LE(BigInt(call.expect ?? -1), at + 56);
    });
    for (const b of blocks) {
      b.bytes.copy(out, offset.get(b)!);
      for (const p of b.pointers) pointer(offset.get(b)! + p.at, p.to);
    }
    return out;
  }
}
