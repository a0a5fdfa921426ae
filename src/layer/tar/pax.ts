// PAX extended header records: "LEN KEY=VALUE\n", LEN counting the whole
// record in decimal. Values stay raw bytes (xattr values are binary).
import { InvalidDataError } from "../../errors.ts";
import { encodeUtf8 } from "./fields.ts";

const utf8 = new TextDecoder();

/**
 * Parses records into `into` (later records win). An empty value is kept when
 * `keepEmpty` (a local record: "ignore the global value"; for xattrs, an empty
 * value), otherwise it deletes the key (a global record).
 */
export function parsePaxRecords(data: Uint8Array, into: Map<string, Uint8Array>, keepEmpty: boolean): void {
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break; // some writers pad the record block with NULs
    const sp = data.indexOf(0x20, off);
    if (sp < 0 || sp - off > 20) throw new InvalidDataError("invalid tar: malformed PAX record length");
    let len = 0;
    for (let i = off; i < sp; i++) {
      const c = data[i]!;
      if (c < 0x30 || c > 0x39) throw new InvalidDataError("invalid tar: malformed PAX record length");
      len = len * 10 + (c - 0x30);
    }
    const end = off + len;
    if (len <= sp - off + 1 || end > data.length || data[end - 1] !== 0x0a) {
      throw new InvalidDataError("invalid tar: malformed PAX record");
    }
    const eq = data.indexOf(0x3d, sp + 1);
    if (eq < 0 || eq >= end - 1 || eq === sp + 1) throw new InvalidDataError("invalid tar: malformed PAX record");
    const key = utf8.decode(data.subarray(sp + 1, eq));
    const value = data.slice(eq + 1, end - 1);
    if (value.length === 0 && !keepEmpty) into.delete(key);
    else into.set(key, value);
    off = end;
  }
}

/** One record, its length prefix including itself. */
export function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const body = encodeUtf8(` ${key}=`);
  const rest = body.length + value.length + 1;
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  const prefix = encodeUtf8(String(len));
  const out = new Uint8Array(len);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  out.set(value, prefix.length + body.length);
  out[len - 1] = 0x0a;
  return out;
}

export function paxString(v: Uint8Array | undefined): string | undefined {
  return v === undefined ? undefined : utf8.decode(v);
}

/** A decimal PAX number (integer, or seconds with a fraction for times). */
export function paxNumber(v: Uint8Array, key: string, allowFraction: boolean): number {
  const s = utf8.decode(v);
  const re = allowFraction ? /^-?\d+(\.\d+)?$/ : /^\d+$/;
  if (!re.test(s)) throw new InvalidDataError(`invalid tar: bad PAX ${key} ${JSON.stringify(s)}`);
  const n = Number(s);
  if (!Number.isFinite(n) || (!allowFraction && !Number.isSafeInteger(n))) {
    throw new InvalidDataError(`invalid tar: PAX ${key} out of range`);
  }
  return n;
}
