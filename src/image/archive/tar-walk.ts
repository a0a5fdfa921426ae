// The tar walker used to read image archives. It implements the shared
// TarWalker contract (src/layer/tar/types.ts): ustar, PAX (path, linkpath,
// size) and GNU long names. When src/layer/tar/read.ts lands, this file
// should just re-export its walker.
import { InvalidDataError } from "../../errors.ts";
import type { TarEntry, TarEntryType, TarEvent, TarWalker } from "../../layer/tar/types.ts";

const BLOCK = 512;
const dec = new TextDecoder();

function cstr(b: Uint8Array, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return dec.decode(z >= 0 ? s.subarray(0, z) : s);
}

function octal(b: Uint8Array, off: number, len: number): number {
  if (b[off]! & 0x80) {
    // base-256 (GNU) for large values
    let n = 0;
    for (let i = 1; i < len; i++) n = n * 256 + b[off + i]!;
    return n;
  }
  const s = cstr(b, off, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new InvalidDataError(`invalid tar header: bad number ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function checksumOk(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === octal(h, 148, 8);
}

function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) throw new InvalidDataError("invalid tar: malformed PAX record");
    const len = parseInt(dec.decode(data.subarray(off, sp)), 10);
    if (!Number.isSafeInteger(len) || len <= sp - off || off + len > data.length) throw new InvalidDataError("invalid tar: malformed PAX record");
    const rec = dec.decode(data.subarray(sp + 1, off + len - 1));
    const eq = rec.indexOf("=");
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    off += len;
  }
  return out;
}

const TYPES: Record<string, TarEntryType> = { "0": "file", "\0": "file", "7": "file", "1": "hardlink", "2": "symlink", "3": "char", "4": "block", "5": "dir", "6": "fifo" };

class ArchiveTarWalker implements TarWalker {
  private buf: Uint8Array = new Uint8Array(0);
  private remaining = 0; // data bytes left in the current entry
  private pad = 0;
  private meta: Uint8Array[] | null = null; // collecting a PAX/GNU meta entry
  private metaKind = "";
  private pax: Record<string, string> = {};
  private gnuName?: string;
  private gnuLink?: string;
  private ended = false;
  private inEntry = false;

  push(chunk: Uint8Array): TarEvent[] {
    const events: TarEvent[] = [];
    let data = this.buf.length ? concat(this.buf, chunk) : chunk;
    let off = 0;
    for (;;) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, data.length - off);
        if (n === 0) break;
        const slice = data.subarray(off, off + n);
        if (this.meta) this.meta.push(slice.slice());
        else events.push({ kind: "data", data: slice });
        off += n;
        this.remaining -= n;
        if (this.remaining > 0) break;
        this.finishEntry(events);
        continue;
      }
      if (this.pad > 0) {
        const n = Math.min(this.pad, data.length - off);
        off += n;
        this.pad -= n;
        if (this.pad > 0) break;
        continue;
      }
      if (this.ended || data.length - off < BLOCK) break;
      const h = data.subarray(off, off + BLOCK);
      off += BLOCK;
      if (h.every((x) => x === 0)) {
        this.ended = true;
        break;
      }
      if (!checksumOk(h)) throw new InvalidDataError("invalid tar header: checksum mismatch (corrupt archive?)");
      this.header(h, events);
    }
    this.buf = off < data.length ? data.slice(off) : new Uint8Array(0);
    return events;
  }

  private header(h: Uint8Array, events: TarEvent[]): void {
    const flag = String.fromCharCode(h[156]!);
    let size = octal(h, 124, 12);
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      this.meta = [];
      this.metaKind = flag;
      this.startData(size, events);
      return;
    }
    const type = TYPES[flag];
    const prefix = cstr(h, 345, 155);
    let path = this.gnuName ?? this.pax.path ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    const linkname = this.gnuLink ?? this.pax.linkpath ?? cstr(h, 157, 100);
    if (this.pax.size !== undefined) size = Number(this.pax.size);
    this.pax = {};
    this.gnuName = this.gnuLink = undefined;
    if (!type) {
      // Unknown entry types are skipped with their data.
      this.meta = [];
      this.metaKind = "skip";
      this.startData(size, events);
      return;
    }
    if (type !== "file") size = 0;
    const entry: TarEntry = {
      path,
      type,
      mode: octal(h, 100, 8) & 0o7777,
      uid: octal(h, 108, 8),
      gid: octal(h, 116, 8),
      size,
      mtime: octal(h, 136, 12),
      ...(linkname ? { linkname } : {}),
    };
    events.push({ kind: "entry", entry });
    this.inEntry = true;
    this.startData(size, events);
    void path;
  }

  private startData(size: number, events: TarEvent[]): void {
    this.remaining = size;
    this.pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.finishEntry(events);
  }

  private finishEntry(events: TarEvent[]): void {
    if (this.meta) {
      const data = concat(...this.meta);
      if (this.metaKind === "x") this.pax = { ...this.pax, ...parsePax(data) };
      else if (this.metaKind === "L") this.gnuName = cstr(data, 0, data.length);
      else if (this.metaKind === "K") this.gnuLink = cstr(data, 0, data.length);
      this.meta = null;
      return;
    }
    if (this.inEntry) {
      events.push({ kind: "entryEnd" });
      this.inEntry = false;
    }
  }

  finish(): void {
    // A stream may end right after the last entry's data, without padding or
    // the two zero blocks (umoci 0.4.7 writes layers like that; Go readers accept them).
    if (this.remaining > 0 || this.meta || this.inEntry) throw new InvalidDataError("unexpected end of tar stream inside an entry");
    if (this.buf.length > 0 && !this.ended) throw new InvalidDataError("unexpected end of tar stream inside a header");
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function newTarWalker(): TarWalker {
  return new ArchiveTarWalker();
}
