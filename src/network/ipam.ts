// Address management for bridge networks: subnets picked from Docker's default
// pools around what is already routed or used, and addresses handed out from a
// subnet (or its ip-range) skipping the network address, the gateway, the
// broadcast address and those in use. Which addresses are in use is the
// caller's (the daemon keeps them in its database).
import { lastOf, mask, overlaps, type Family, type Prefix } from "./ip.ts";

/** Docker's default address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
export function* defaultPools(): Generator<Prefix> {
  for (let i = 17; i <= 31; i++) yield { family: 4, base: (172n << 24n) | (BigInt(i) << 16n), bits: 16 };
  for (let i = 0; i < 16; i++) yield { family: 4, base: (192n << 24n) | (168n << 16n) | (BigInt(i * 16) << 8n), bits: 20 };
}

/** The first default pool overlapping nothing taken, or undefined when all are. */
export function pickSubnet(taken: Prefix[]): Prefix | undefined {
  for (const p of defaultPools()) if (!taken.some((t) => overlaps(p, t))) return p;
  return undefined;
}

export interface Pool {
  subnet: Prefix;
  /** Where container addresses come from (default: the whole subnet). */
  range?: Prefix;
  gateway?: bigint;
}

/** The first free address of the pool, or undefined when it is full. */
export function nextFree(pool: Pool, used: Set<bigint>): bigint | undefined {
  const r = pool.range ?? pool.subnet;
  const first = pool.subnet.base;
  const last = lastOf(pool.subnet);
  const bits = pool.subnet.bits;
  const hostBitsFew = pool.subnet.family === 4 ? bits >= 31 : bits >= 127;
  for (let v = r.base; v <= lastOf(r); v++) {
    if (!hostBitsFew && (v === first || (pool.subnet.family === 4 && v === last))) continue;
    if (v === pool.gateway || used.has(v)) continue;
    return v;
  }
  return undefined;
}

/** The first usable address of a subnet: its default gateway. */
export function firstHost(p: Prefix): bigint {
  return p.base + 1n;
}

export function sameNetwork(p: Prefix, family: Family, v: bigint): boolean {
  return p.family === family && (v & mask(family, p.bits)) === p.base;
}

