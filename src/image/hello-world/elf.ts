// A minimal static ELF64 writer: one ELF header, a PT_LOAD segment that maps
// the whole file read+execute, and a PT_GNU_STACK entry so the kernel gives
// the program a non-executable stack. No sections: the kernel does not need them.

export const ELF_HEADER_SIZE = 64;
export const PROGRAM_HEADER_SIZE = 56;
const PROGRAM_HEADER_COUNT = 2;
/** Where the code starts in the file (right after the headers). */
export const CODE_OFFSET = ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE * PROGRAM_HEADER_COUNT;

export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
const PT_LOAD = 1;
const PT_GNU_STACK = 0x6474e551;
const PF_X = 1, PF_W = 2, PF_R = 4;

export interface ElfImage {
  machine: number;
  /** Virtual address the file's first byte is mapped at (a multiple of align). */
  baseAddress: bigint;
  /** Segment alignment: the largest page size of the architecture. */
  align: bigint;
  /** Code and data placed at CODE_OFFSET; execution starts at its first byte. */
  body: Uint8Array;
}

export function writeElf(img: ElfImage): Uint8Array {
  const size = CODE_OFFSET + img.body.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  // e_ident: magic, 64-bit, little-endian, version 1, System V ABI.
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  v.setUint16(16, 2, true); // e_type = ET_EXEC
  v.setUint16(18, img.machine, true);
  v.setUint32(20, 1, true); // e_version
  v.setBigUint64(24, img.baseAddress + BigInt(CODE_OFFSET), true); // e_entry
  v.setBigUint64(32, BigInt(ELF_HEADER_SIZE), true); // e_phoff
  v.setBigUint64(40, 0n, true); // e_shoff: no section headers
  v.setUint32(48, 0, true); // e_flags
  v.setUint16(52, ELF_HEADER_SIZE, true);
  v.setUint16(54, PROGRAM_HEADER_SIZE, true);
  v.setUint16(56, PROGRAM_HEADER_COUNT, true);
  v.setUint16(58, 64, true); // e_shentsize
  v.setUint16(60, 0, true); // e_shnum
  v.setUint16(62, 0, true); // e_shstrndx

  let ph = ELF_HEADER_SIZE;
  // PT_LOAD: the whole file, mapped at baseAddress.
  v.setUint32(ph, PT_LOAD, true);
  v.setUint32(ph + 4, PF_R | PF_X, true);
  v.setBigUint64(ph + 8, 0n, true); // p_offset
  v.setBigUint64(ph + 16, img.baseAddress, true); // p_vaddr
  v.setBigUint64(ph + 24, img.baseAddress, true); // p_paddr
  v.setBigUint64(ph + 32, BigInt(size), true); // p_filesz
  v.setBigUint64(ph + 40, BigInt(size), true); // p_memsz
  v.setBigUint64(ph + 48, img.align, true);
  ph += PROGRAM_HEADER_SIZE;
  // PT_GNU_STACK: read+write, not executable.
  v.setUint32(ph, PT_GNU_STACK, true);
  v.setUint32(ph + 4, PF_R | PF_W, true);
  v.setBigUint64(ph + 48, 16n, true);

  out.set(img.body, CODE_OFFSET);
  return out;
}

/** A tiny assembler buffer: raw bytes plus labels and patched references. */
export class CodeBuffer {
  private bytes: number[] = [];
  private labels = new Map<string, number>();
  private fixups: { at: number; label: string; patch: (at: number, target: number) => void }[] = [];

  get offset(): number {
    return this.bytes.length;
  }
  emit(...b: number[]): void {
    for (const x of b) this.bytes.push(x & 0xff);
  }
  emit32(x: number): void {
    this.emit(x, x >>> 8, x >>> 16, x >>> 24);
  }
  label(name: string): void {
    if (this.labels.has(name)) throw new Error(`label ${name} defined twice`);
    this.labels.set(name, this.bytes.length);
  }
  /** Records that the bytes at `at` refer to `label`; `patch` rewrites them once every label is known. */
  refer(at: number, label: string, patch: (at: number, target: number) => void): void {
    this.fixups.push({ at, label, patch });
  }
  set32(at: number, x: number): void {
    for (let i = 0; i < 4; i++) this.bytes[at + i] = (x >>> (8 * i)) & 0xff;
  }
  get32(at: number): number {
    return (this.bytes[at]! | (this.bytes[at + 1]! << 8) | (this.bytes[at + 2]! << 16) | (this.bytes[at + 3]! << 24)) >>> 0;
  }
  set8(at: number, x: number): void {
    this.bytes[at] = x & 0xff;
  }
  finish(): Uint8Array {
    for (const f of this.fixups) {
      const target = this.labels.get(f.label);
      if (target === undefined) throw new Error(`undefined label ${f.label}`);
      f.patch(f.at, target);
    }
    return Uint8Array.from(this.bytes);
  }
}
