// rtnetlink's wire format: a 16-byte nlmsghdr, a fixed family header
// (ifinfomsg, ifaddrmsg, rtmsg), then type-length-value attributes padded to
// 4 bytes, some of them nested. All little-endian host order on the targets
// berth runs on (x86_64, arm64).

export const HEADER_SIZE = 16;

export const NLMSG = { ERROR: 2, DONE: 3 } as const;
export const NLM_F = { REQUEST: 1, MULTI: 2, ACK: 4, DUMP: 0x300, REPLACE: 0x100, EXCL: 0x200, CREATE: 0x400 } as const;
export const RTM = {
  NEWLINK: 16, DELLINK: 17, GETLINK: 18, SETLINK: 19,
  NEWADDR: 20, DELADDR: 21, GETADDR: 22,
  NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26,
} as const;

export interface Message {
  type: number;
  flags: number;
  seq: number;
  /** What follows the nlmsghdr. */
  body: Buffer;
}

export function header(len: number, type: number, flags: number, seq: number): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  b.writeUInt32LE(len, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(0, 12);
  return b;
}

export function* readMessages(buf: Buffer): Generator<Message> {
  let off = 0;
  while (off + HEADER_SIZE <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < HEADER_SIZE || off + len > buf.length) return;
    yield { type: buf.readUInt16LE(off + 4), flags: buf.readUInt16LE(off + 6), seq: buf.readUInt32LE(off + 8), body: buf.subarray(off + HEADER_SIZE, off + len) };
    off += align(len);
  }
}

const align = (n: number) => (n + 3) & ~3;
const NLA_F_NESTED = 0x8000;

/** One attribute: its 4-byte header, the value, and padding. */
export function attr(type: number, value: Uint8Array): Buffer {
  const b = Buffer.alloc(align(4 + value.length));
  b.writeUInt16LE(4 + value.length, 0);
  b.writeUInt16LE(type, 2);
  b.set(value, 4);
  return b;
}

export const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
export const u8 = (v: number) => Buffer.from([v]);
export const str = (s: string) => Buffer.from(`${s}\0`);

export function nested(type: number, children: Uint8Array[]): Buffer {
  return attr(type | NLA_F_NESTED, Buffer.concat(children));
}

/** Attributes from `off` on, by type (the nested flag cleared); the last of a type wins. */
export function parseAttrs(buf: Buffer, off = 0): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.set(buf.readUInt16LE(off + 2) & ~NLA_F_NESTED, buf.subarray(off + 4, off + len));
    off += align(len);
  }
  return out;
}

export const cstring = (b: Buffer | undefined) => (b ? b.toString("utf8", 0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)) : undefined);
