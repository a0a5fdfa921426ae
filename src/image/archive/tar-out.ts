// Tar header encoding for the archives berth writes (save, the seed layer):
// ustar, with a PAX record when a path does not fit. Implements the shared
// TarHeaderEncoder contract; when src/layer/tar/write.ts lands, this file
// should just re-export its encoder.
import type { TarEntry, TarEntryType, TarHeaderEncoder } from "../../layer/tar/types.ts";

const BLOCK = 512;
const enc = new TextEncoder();
const FLAGS: Record<TarEntryType, string> = { file: "0", hardlink: "1", symlink: "2", char: "3", block: "4", dir: "5", fifo: "6" };

function putString(h: Uint8Array, off: number, len: number, s: string): void {
  h.set(enc.encode(s).subarray(0, len), off);
}

function putOctal(h: Uint8Array, off: number, len: number, n: number): void {
  putString(h, off, len, Math.floor(n).toString(8).padStart(len - 1, "0"));
}

function block(entry: TarEntry, path: string, flag: string, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  putString(h, 0, 100, path);
  putOctal(h, 100, 8, entry.mode & 0o7777);
  putOctal(h, 108, 8, entry.uid);
  putOctal(h, 116, 8, entry.gid);
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, entry.mtime);
  h.fill(0x20, 148, 156);
  putString(h, 156, 1, flag);
  if (entry.linkname) putString(h, 157, 100, entry.linkname);
  putString(h, 257, 8, "ustar\u000000");
  putString(h, 265, 32, entry.uname ?? "");
  putString(h, 297, 32, entry.gname ?? "");
  let sum = 0;
  for (const b of h) sum += b;
  putString(h, 148, 8, sum.toString(8).padStart(6, "0") + "\u0000 ");
  return h;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + enc.encode(body).length !== len) len = String(len).length + enc.encode(body).length;
  return `${len}${body}`;
}

class ArchiveTarEncoder implements TarHeaderEncoder {
  header(entry: TarEntry): Uint8Array {
    const size = entry.type === "file" ? entry.size : 0;
    const records: string[] = [];
    if (enc.encode(entry.path).length > 100) records.push(paxRecord("path", entry.path));
    if (entry.linkname && enc.encode(entry.linkname).length > 100) records.push(paxRecord("linkpath", entry.linkname));
    if (size > 0o77777777777) records.push(paxRecord("size", String(size)));
    const main = block(entry, entry.path, FLAGS[entry.type], size > 0o77777777777 ? 0 : size);
    if (records.length === 0) return main;
    const data = enc.encode(records.join(""));
    const pax = block({ ...entry, linkname: undefined }, "PaxHeader", "x", data.length);
    const out = new Uint8Array(BLOCK + data.length + this.padding(data.length).length + BLOCK);
    out.set(pax, 0);
    out.set(data, BLOCK);
    out.set(main, out.length - BLOCK);
    return out;
  }

  padding(size: number): Uint8Array {
    return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
  }

  end(): Uint8Array {
    return new Uint8Array(BLOCK * 2);
  }
}

export function newTarHeaderEncoder(): TarHeaderEncoder {
  return new ArchiveTarEncoder();
}
