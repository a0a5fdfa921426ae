// Writes ustar headers, adding a PAX `x` record block before an entry whose
// fields do not fit ustar (long or non-ASCII paths, big sizes or ids,
// fractional mtimes, xattrs). Output depends only on the entry: deterministic.
import { InvalidDataError } from "../../errors.ts";
import type { TarEntry, TarEntryType, TarHeaderEncoder } from "./types.ts";
import { BLOCK, encodeUtf8, writeBytes, writeChecksum, writeOctal } from "./fields.ts";
import { paxRecord } from "./pax.ts";

const FLAGS: Record<TarEntryType, number> = {
  file: 0x30, hardlink: 0x31, symlink: 0x32, char: 0x33, block: 0x34, dir: 0x35, fifo: 0x36,
};
const ZERO_END = new Uint8Array(2 * BLOCK);
const PADS = new Uint8Array(BLOCK);

export class TarStreamEncoder implements TarHeaderEncoder {
  header(entry: TarEntry): Uint8Array {
    const pax: [string, Uint8Array][] = [];
    const h = new Uint8Array(BLOCK);
    const size = entry.type === "file" ? entry.size : 0;
    if (!Number.isSafeInteger(size) || size < 0) throw new InvalidDataError(`tar: bad size for ${entry.path}`);

    const path = encodeUtf8(entry.path);
    if (!isAscii(path) || !splitPath(h, path)) pax.push(["path", path]);
    if (entry.linkname !== undefined) {
      const link = encodeUtf8(entry.linkname);
      if (!isAscii(link) || !writeBytes(h, 157, 100, link)) pax.push(["linkpath", link]);
    }
    writeOctal(h, 100, 8, entry.mode & 0o7777);
    if (!writeOctal(h, 108, 8, entry.uid)) { pax.push(["uid", encodeUtf8(String(entry.uid))]); writeOctal(h, 108, 8, 0); }
    if (!writeOctal(h, 116, 8, entry.gid)) { pax.push(["gid", encodeUtf8(String(entry.gid))]); writeOctal(h, 116, 8, 0); }
    if (!writeOctal(h, 124, 12, size)) { pax.push(["size", encodeUtf8(String(size))]); writeOctal(h, 124, 12, 0); }
    const whole = Math.floor(entry.mtime);
    if (whole !== entry.mtime || !writeOctal(h, 136, 12, whole)) {
      pax.push(["mtime", encodeUtf8(formatTime(entry.mtime))]);
      writeOctal(h, 136, 12, Math.max(0, Math.min(whole, 0o77777777777)));
    }
    h[156] = FLAGS[entry.type];
    h.set(encodeUtf8("ustar\x0000"), 257);
    for (const [field, off, value] of [["uname", 265, entry.uname], ["gname", 297, entry.gname]] as const) {
      if (!value) continue;
      const b = encodeUtf8(value);
      if (!isAscii(b) || b.length > 31) pax.push([field, b]);
      else h.set(b, off);
    }
    if (entry.type === "char" || entry.type === "block") {
      if (!writeOctal(h, 329, 8, entry.devmajor ?? 0) || !writeOctal(h, 337, 8, entry.devminor ?? 0)) {
        throw new InvalidDataError(`tar: device number of ${entry.path} does not fit`);
      }
    } else {
      writeOctal(h, 329, 8, 0);
      writeOctal(h, 337, 8, 0);
    }
    for (const name of Object.keys(entry.xattrs ?? {}).sort()) pax.push([`SCHILY.xattr.${name}`, entry.xattrs![name]!]);
    writeChecksum(h);
    if (pax.length === 0) return h;
    return concat([this.paxHeader(entry, pax), h]);
  }

  padding(size: number): Uint8Array {
    return PADS.subarray(0, (BLOCK - (size % BLOCK)) % BLOCK);
  }

  end(): Uint8Array {
    return ZERO_END;
  }

  private paxHeader(entry: TarEntry, records: [string, Uint8Array][]): Uint8Array {
    const body = concat(records.map(([k, v]) => paxRecord(k, v)));
    const base = entry.path.replace(/\/+$/, "").split("/").pop() || "root";
    const h = new Uint8Array(BLOCK);
    const name = encodeUtf8(`PaxHeaders/${base}`);
    const nameBytes = name.length > 100 ? name.subarray(0, 100) : name;
    h.set(nameBytes, 0);
    writeOctal(h, 100, 8, 0o644);
    writeOctal(h, 108, 8, 0);
    writeOctal(h, 116, 8, 0);
    writeOctal(h, 124, 12, body.length);
    writeOctal(h, 136, 12, Math.max(0, Math.min(Math.floor(entry.mtime), 0o77777777777)));
    h[156] = 0x78; // 'x'
    h.set(encodeUtf8("ustar\x0000"), 257);
    writeChecksum(h);
    return concat([h, body, this.padding(body.length)]);
  }
}

/** Fits a path into name (100) + prefix (155), split at a slash; false if impossible. */
function splitPath(h: Uint8Array, path: Uint8Array): boolean {
  if (path.length <= 100) return writeBytes(h, 0, 100, path);
  for (let i = Math.max(0, path.length - 101); i < path.length && i <= 155; i++) {
    if (path[i] !== 0x2f) continue;
    if (i === 0 || path.length - i - 1 > 100 || path.length - i - 1 === 0) continue;
    h.set(path.subarray(0, i), 345);
    h.set(path.subarray(i + 1), 0);
    return true;
  }
  return false;
}

function isAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80 || b[i] === 0) return false;
  return true;
}

/** Seconds with up to 9 fraction digits, trailing zeros dropped. */
function formatTime(t: number): string {
  const neg = t < 0;
  const a = Math.abs(t);
  let whole = Math.floor(a);
  let ns = Math.round((a - whole) * 1e9);
  if (ns >= 1e9) { whole += 1; ns -= 1e9; }
  const frac = ns ? "." + String(ns).padStart(9, "0").replace(/0+$/, "") : "";
  return `${neg ? "-" : ""}${whole}${frac}`;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}
