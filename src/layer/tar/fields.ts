// Numeric and string fields of a 512-byte tar header: octal (NUL/space
// padded), GNU base-256 for values that do not fit, and the checksum.
import { InvalidDataError } from "../../errors.ts";

export const BLOCK = 512;
const utf8 = new TextDecoder();
const utf8enc = new TextEncoder();

/** A NUL-terminated string field. */
export function readString(h: Uint8Array, off: number, len: number): string {
  const f = h.subarray(off, off + len);
  const z = f.indexOf(0);
  return utf8.decode(z >= 0 ? f.subarray(0, z) : f);
}

/** An octal or base-256 number field; `what` names it in errors. */
export function readNumber(h: Uint8Array, off: number, len: number, what: string): number {
  const first = h[off]!;
  if (first & 0x80) {
    // Base-256: the rest of the field is a big-endian two's complement number.
    let n = 0;
    if (first === 0xff) {
      // Negative: -(inverted + 1), computed on inverted bytes to stay within safe integers.
      for (let i = 1; i < len; i++) n = n * 256 + (0xff - h[off + i]!);
      n = -(n + 1);
    } else {
      n = first & 0x7f;
      for (let i = 1; i < len; i++) n = n * 256 + h[off + i]!;
    }
    if (!Number.isSafeInteger(n)) throw new InvalidDataError(`invalid tar header: ${what} out of range`);
    return n;
  }
  let i = off;
  const end = off + len;
  while (i < end && (h[i] === 0x20 || h[i] === 0)) i++; // leading padding
  let n = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = h[i]!;
    if (c >= 0x30 && c <= 0x37) {
      n = n * 8 + (c - 0x30);
      digits++;
    } else break;
  }
  for (; i < end; i++) {
    if (h[i] !== 0x20 && h[i] !== 0) throw new InvalidDataError(`invalid tar header: bad ${what} field`);
  }
  return digits === 0 ? 0 : n;
}

/** True when the stored checksum matches the unsigned or the (historic) signed byte sum. */
export function checksumMatches(h: Uint8Array): boolean {
  const stored = readNumber(h, 148, 8, "checksum");
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

export function isZeroBlock(h: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (h[i] !== 0) return false;
  return true;
}

export function encodeUtf8(s: string): Uint8Array {
  return utf8enc.encode(s);
}

/** Writes `n` as zero-padded octal with a trailing NUL; false if it does not fit. */
export function writeOctal(h: Uint8Array, off: number, len: number, n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 0) return false;
  const s = n.toString(8);
  if (s.length > len - 1) return false;
  const padded = s.padStart(len - 1, "0");
  for (let i = 0; i < len - 1; i++) h[off + i] = padded.charCodeAt(i);
  h[off + len - 1] = 0;
  return true;
}

/** Copies bytes into a field; false if they do not fit. */
export function writeBytes(h: Uint8Array, off: number, len: number, b: Uint8Array): boolean {
  if (b.length > len) return false;
  h.set(b, off);
  return true;
}

export function writeChecksum(h: Uint8Array): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  const s = sum.toString(8).padStart(6, "0");
  for (let i = 0; i < 6; i++) h[148 + i] = s.charCodeAt(i);
  h[154] = 0;
  h[155] = 0x20;
}
