// berth's built-in hello-world program, generated at run time: a static ELF64
// executable of a few hundred bytes of hand-encoded machine code that writes
// helloWorldMessage to stdout (looping over short writes) and exits 0, or 1
// if stdout fails. No libc, no toolchain.
import { CodeBuffer, EM_AARCH64, EM_X86_64, writeElf } from "./elf.ts";
import { helloWorldMessage } from "./message.ts";

export { helloWorldMessage } from "./message.ts";
export { helloWorldImageConfig, HELLO_WORLD_CREATED } from "./config.ts";

export type HelloWorldArch = "amd64" | "arm64";

const BASE_ADDRESS = 0x400000n;

export function helloWorldProgram(arch: HelloWorldArch, message: string = helloWorldMessage): Uint8Array {
  const msg = new TextEncoder().encode(message);
  if (arch === "amd64") {
    return writeElf({ machine: EM_X86_64, baseAddress: BASE_ADDRESS, align: 0x1000n, body: amd64Body(msg) });
  }
  if (arch === "arm64") {
    // 64 KiB alignment so the segment maps on kernels with 4K, 16K or 64K pages.
    return writeElf({ machine: EM_AARCH64, baseAddress: BASE_ADDRESS, align: 0x10000n, body: arm64Body(msg) });
  }
  throw new Error(`hello-world: unsupported architecture ${String(arch)}`);
}

/** x86_64 Linux: write(1, msg, len) until done via syscall 1, then exit via syscall 60. */
function amd64Body(msg: Uint8Array): Uint8Array {
  const c = new CodeBuffer();
  const rel32 = (label: string) => {
    const at = c.offset;
    c.emit32(0);
    c.refer(at, label, (a, t) => c.set32(a, t - (a + 4)));
  };
  const rel8 = (label: string) => {
    const at = c.offset;
    c.emit(0);
    c.refer(at, label, (a, t) => {
      const d = t - (a + 1);
      if (d < -128 || d > 127) throw new Error("rel8 out of range");
      c.set8(a, d);
    });
  };
  c.emit(0x48, 0x8d, 0x35); rel32("msg"); // lea rsi, [rip+msg]
  c.emit(0xba); c.emit32(msg.length); // mov edx, len
  c.label("loop");
  c.emit(0xb8); c.emit32(1); // mov eax, 1 (write)
  c.emit(0xbf); c.emit32(1); // mov edi, 1 (stdout)
  c.emit(0x0f, 0x05); // syscall
  c.emit(0x48, 0x85, 0xc0); // test rax, rax
  c.emit(0x7e); rel8("fail"); // jle fail (error or nothing written)
  c.emit(0x48, 0x01, 0xc6); // add rsi, rax
  c.emit(0x48, 0x29, 0xc2); // sub rdx, rax
  c.emit(0x75); rel8("loop"); // jnz loop
  c.emit(0x31, 0xff); // xor edi, edi
  c.emit(0xeb); rel8("exit"); // jmp exit
  c.label("fail");
  c.emit(0xbf); c.emit32(1); // mov edi, 1
  c.label("exit");
  c.emit(0xb8); c.emit32(60); // mov eax, 60 (exit)
  c.emit(0x0f, 0x05); // syscall
  c.label("msg");
  c.emit(...msg);
  return c.finish();
}

/** aarch64 Linux: the same loop with svc #0, write = 64, exit = 93. */
function arm64Body(msg: Uint8Array): Uint8Array {
  if (msg.length > 0xffff) throw new Error("hello-world: message too long for movz");
  const c = new CodeBuffer();
  const movz = (rd: number, imm16: number) => c.emit32((0xd2800000 | (imm16 << 5) | rd) >>> 0);
  const svc0 = () => c.emit32(0xd4000001);
  const bcond = (cond: number, label: string) => {
    const at = c.offset;
    c.emit32(0);
    c.refer(at, label, (a, t) => c.set32(a, (0x54000000 | ((((t - a) >> 2) & 0x7ffff) << 5) | cond) >>> 0));
  };
  c.emit32(0); // adr x1, msg (patched below)
  c.refer(0, "msg", (a, t) => {
    const d = t - a;
    c.set32(a, (0x10000000 | ((d & 3) << 29) | (((d >> 2) & 0x7ffff) << 5) | 1) >>> 0);
  });
  movz(2, msg.length); // x2 = len
  c.label("loop");
  movz(0, 1); // x0 = stdout
  movz(8, 64); // x8 = write
  svc0();
  c.emit32(0xf100001f); // cmp x0, #0
  bcond(0xd, "fail"); // b.le fail
  c.emit32(0x8b000021); // add x1, x1, x0
  c.emit32(0xeb000042); // subs x2, x2, x0
  bcond(0x1, "loop"); // b.ne loop
  movz(0, 0); // x0 = 0
  const at = c.offset;
  c.emit32(0); // b exit
  c.refer(at, "exit", (a, t) => c.set32(a, (0x14000000 | (((t - a) >> 2) & 0x3ffffff)) >>> 0));
  c.label("fail");
  movz(0, 1);
  c.label("exit");
  movz(8, 93); // x8 = exit
  svc0();
  c.label("msg");
  c.emit(...msg);
  return c.finish();
}
