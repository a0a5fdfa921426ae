// DNS messages (RFC 1035) as far as the embedded server needs them: the first
// question of a query, and answers of A/AAAA records or an error code.

export const TYPE = { A: 1, AAAA: 28 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;

export interface Question {
  id: number;
  flags: number;
  /** Lower case, without the trailing dot. */
  name: string;
  type: number;
  class: number;
  /** The question section's bytes, echoed in the answer. */
  raw: Buffer;
}

/** The query's first question, or undefined when the message is not a well-formed query. */
export function parseQuery(msg: Buffer): Question | undefined {
  if (msg.length < 12) return undefined;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || msg.readUInt16BE(4) < 1) return undefined; // an answer, or no question
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off]!;
    if (len === 0) break;
    if (len & 0xc0 || off + 1 + len > msg.length) return undefined; // no compression in a question
    labels.push(msg.toString("latin1", off + 1, off + 1 + len));
    off += 1 + len;
  }
  off += 1;
  if (off + 4 > msg.length) return undefined;
  return {
    id: msg.readUInt16BE(0), flags, name: labels.join(".").toLowerCase(),
    type: msg.readUInt16BE(off), class: msg.readUInt16BE(off + 2), raw: msg.subarray(12, off + 4),
  };
}

/** An answer to `q`: the given addresses (4 or 16 bytes each) as records of the asked type, or just a code. */
export function answer(q: Question, rcode: number, addresses: Buffer[] = [], ttl = 600): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR, the query's opcode and RD, RA; AA since these names are ours.
  header.writeUInt16BE(0x8000 | (q.flags & 0x7900) | 0x0080 | (rcode === RCODE.NOERROR || rcode === RCODE.NXDOMAIN ? 0x0400 : 0) | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const records = addresses.map((a) => {
    const r = Buffer.alloc(12 + a.length);
    r.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    r.writeUInt16BE(a.length === 4 ? TYPE.A : TYPE.AAAA, 2);
    r.writeUInt16BE(1, 4);
    r.writeUInt32BE(ttl, 6);
    r.writeUInt16BE(a.length, 10);
    a.copy(r, 12);
    return r;
  });
  return Buffer.concat([header, q.raw, ...records]);
}
