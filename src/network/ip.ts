// IP addresses and prefixes as numbers and bytes: what the IPAM counts with
// and what netlink carries. IPv4 is a 32-bit number; IPv6 a 128-bit bigint.

export type Family = 4 | 6;

export interface Prefix {
  family: Family;
  /** The network's first address (host bits cleared). */
  base: bigint;
  bits: number;
}

const width = (f: Family) => (f === 4 ? 32 : 128);

export function parseIPv4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

export function parseIPv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split("::").length > 2) return undefined;
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const groups = (part: string | undefined): number[] | undefined => {
    if (!part) return [];
    const out: number[] = [];
    const items = part.split(":");
    for (const [i, g] of items.entries()) {
      if (g.includes(".") && i === items.length - 1) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const a = groups(head);
  const b = groups(tail);
  if (!a || !b) return undefined;
  const fill = tail === undefined ? 0 : 8 - a.length - b.length;
  if (tail === undefined ? a.length !== 8 : fill < 1) return undefined;
  return [...a, ...Array(fill).fill(0), ...b].reduce((v, g) => (v << 16n) | BigInt(g), 0n);
}

export function parseIP(s: string): { family: Family; value: bigint } | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(s);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

export function formatIP(family: Family, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join(".");
  const g = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** "a.b.c.d/n" or an IPv6 prefix; `strict`: host bits must be zero (Docker's subnets may have them, it clears them). */
export function parsePrefix(s: string): (Prefix & { addr: bigint }) | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const ip = parseIP(m[1]!);
  const bits = Number(m[2]);
  if (!ip || bits > width(ip.family)) return undefined;
  return { family: ip.family, base: ip.value & mask(ip.family, bits), bits, addr: ip.value };
}

export function mask(family: Family, bits: number): bigint {
  const w = BigInt(width(family));
  return ((1n << w) - 1n) ^ ((1n << (w - BigInt(bits))) - 1n);
}

export function formatPrefix(p: Prefix): string {
  return `${formatIP(p.family, p.base)}/${p.bits}`;
}

export function contains(p: Prefix, family: Family, v: bigint): boolean {
  return family === p.family && (v & mask(p.family, p.bits)) === p.base;
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  const bits = Math.min(a.bits, b.bits);
  return (a.base & mask(a.family, bits)) === (b.base & mask(b.family, bits));
}

/** The last address of a prefix. */
export function lastOf(p: Prefix): bigint {
  return p.base | ((1n << BigInt(width(p.family) - p.bits)) - 1n);
}

/** Network-order bytes, as netlink carries addresses. */
export function ipBytes(family: Family, v: bigint): Buffer {
  const n = family === 4 ? 4 : 16;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Number((v >> BigInt(8 * (n - 1 - i))) & 0xffn);
  return b;
}

export function ipFromBytes(b: Buffer): { family: Family; value: bigint } {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return { family: b.length === 4 ? 4 : 6, value: v };
}
