// The nf_tables expressions berth's rules are made of, as the kernel takes
// them: each loads into or reads from a register, or decides a verdict. What
// a match such as `ip saddr 10.0.0.0/8` is in nft's language becomes here a
// payload load, a mask and a compare, as nft itself translates it.
import { attr, nested, str } from "../netlink/message.ts";
import { be32, type Expr } from "./wire.ts";

/** The 16-byte data register 1 (and 2, for a second value). */
export const REG1 = 1;
export const REG2 = 2;
const VERDICT_REG = 0;

const CMP = { EQ: 0, NEQ: 1 } as const;
const META = { IIFNAME: 6, OIFNAME: 7, NFPROTO: 15, L4PROTO: 16 } as const;
const PAYLOAD_BASE = { NETWORK: 1, TRANSPORT: 2 } as const;
const VERDICT = { DROP: 0, ACCEPT: 1, JUMP: -3 } as const;
const NAT_DNAT = 1;
const IFNAMSIZ = 16;

const data = (type: number, value: Buffer) => nested(type, [attr(1 /* NFTA_DATA_VALUE */, value)]);

function meta(key: number, reg = REG1): Expr {
  return { name: "meta", attrs: [attr(2 /* KEY */, be32(key)), attr(1 /* DREG */, be32(reg))] };
}

function cmp(op: number, value: Buffer, reg = REG1): Expr {
  return { name: "cmp", attrs: [attr(1 /* SREG */, be32(reg)), attr(2 /* OP */, be32(op)), data(3 /* DATA */, value)] };
}

function payload(base: number, offset: number, len: number, reg = REG1): Expr {
  return { name: "payload", attrs: [attr(1 /* DREG */, be32(reg)), attr(2 /* BASE */, be32(base)), attr(3 /* OFFSET */, be32(offset)), attr(4 /* LEN */, be32(len))] };
}

/** reg = (reg & mask) ^ 0 */
function bitwise(mask: Buffer, reg = REG1): Expr {
  return {
    name: "bitwise",
    attrs: [attr(1 /* SREG */, be32(reg)), attr(2 /* DREG */, be32(reg)), attr(3 /* LEN */, be32(mask.length)), data(4 /* MASK */, mask), data(5 /* XOR */, Buffer.alloc(mask.length))],
  };
}

function immediate(reg: number, value: Buffer): Expr {
  return { name: "immediate", attrs: [attr(1 /* DREG */, be32(reg)), data(2 /* DATA */, value)] };
}

function verdict(code: number, chain?: string): Expr {
  const v = [attr(1 /* CODE */, be32(code)), ...(chain ? [attr(2 /* CHAIN */, str(chain))] : [])];
  return { name: "immediate", attrs: [attr(1 /* DREG */, be32(VERDICT_REG)), nested(2 /* DATA */, [nested(2 /* NFTA_DATA_VERDICT */, v)])] };
}

const ifname = (name: string) => {
  const b = Buffer.alloc(IFNAMSIZ);
  b.write(name);
  return b;
};

/** `meta nfproto ipv4` (in an inet table, which sees both families). */
export const isIPv4 = (): Expr[] => [meta(META.NFPROTO), cmp(CMP.EQ, Buffer.from([2]))];
export const isIPv6 = (): Expr[] => [meta(META.NFPROTO), cmp(CMP.EQ, Buffer.from([10]))];

/** `meta l4proto tcp|udp` */
export const l4proto = (proto: "tcp" | "udp"): Expr[] => [meta(META.L4PROTO), cmp(CMP.EQ, Buffer.from([proto === "tcp" ? 6 : 17]))];

/** `iifname NAME` / `iifname != NAME`, and the same of oifname. */
export const iifname = (name: string, equal = true): Expr[] => [meta(META.IIFNAME), cmp(equal ? CMP.EQ : CMP.NEQ, ifname(name))];
export const oifname = (name: string, equal = true): Expr[] => [meta(META.OIFNAME), cmp(equal ? CMP.EQ : CMP.NEQ, ifname(name))];

/**
 * `ip saddr|daddr PREFIX` (or ip6), `!=` when `equal` is false: the address
 * loaded, masked to the prefix, compared. `bytes` is the prefix's base.
 */
export function address(which: "saddr" | "daddr", bytes: Buffer, bits: number, equal = true): Expr[] {
  const v4 = bytes.length === 4;
  const offset = v4 ? (which === "saddr" ? 12 : 16) : which === "saddr" ? 8 : 24;
  const out = [payload(PAYLOAD_BASE.NETWORK, offset, bytes.length)];
  if (bits < bytes.length * 8) {
    const mask = Buffer.alloc(bytes.length);
    for (let i = 0; i < bits; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
    out.push(bitwise(mask));
  }
  out.push(cmp(equal ? CMP.EQ : CMP.NEQ, bytes));
  return out;
}

/** `th dport PORT` (after an l4proto match). */
export const dport = (port: number): Expr[] => [payload(PAYLOAD_BASE.TRANSPORT, 2, 2), cmp(CMP.EQ, Buffer.from([port >> 8, port & 0xff]))];

/** `fib daddr type local`: the destination is an address of this namespace. */
export function toLocalAddress(): Expr[] {
  const fib: Expr = { name: "fib", attrs: [attr(1 /* DREG */, be32(REG1)), attr(2 /* RESULT */, be32(3 /* ADDRTYPE */)), attr(3 /* FLAGS */, be32(2 /* DADDR */))] };
  const local = Buffer.alloc(4);
  local.writeUInt32LE(2 /* RTN_LOCAL, in the host's order as fib stores it */);
  return [fib, cmp(CMP.EQ, local)];
}

export const masquerade = (): Expr[] => [{ name: "masq", attrs: [] }];

/** `notrack`: conntrack leaves the packet alone (in a chain before its own, at the raw priority). */
export const notrack = (): Expr[] => [{ name: "notrack", attrs: [] }];

/** `dnat ip to ADDR:PORT` (or ip6). */
export function dnat(addr: Buffer, port: number): Expr[] {
  const nat: Expr = {
    name: "nat",
    attrs: [
      attr(1 /* TYPE */, be32(NAT_DNAT)), attr(2 /* FAMILY */, be32(addr.length === 4 ? 2 : 10)),
      attr(3 /* REG_ADDR_MIN */, be32(REG1)), attr(5 /* REG_PROTO_MIN */, be32(REG2)),
    ],
  };
  return [immediate(REG1, addr), immediate(REG2, Buffer.from([port >> 8, port & 0xff])), nat];
}

export const accept = (): Expr[] => [verdict(VERDICT.ACCEPT)];
export const drop = (): Expr[] => [verdict(VERDICT.DROP)];
export const jump = (chain: string): Expr[] => [verdict(VERDICT.JUMP, chain)];
