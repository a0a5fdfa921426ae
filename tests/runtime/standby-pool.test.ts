// The standby pool's sizing: one standby while starts come apart, more while
// they come faster than one boots, back to one after a pause.
import { expect, test } from "bun:test";
import { StandbyPool } from "../../src/runtime/driver/standby-pool.ts";

interface Fake {
  id: number;
  ready: boolean;
  alive: boolean;
  discarded: boolean;
}

function pool(o: { max?: number; idleMs?: number; busy?: (f: Fake) => boolean } = {}) {
  const made: Fake[] = [];
  const p = new StandbyPool<Fake>({
    make: () => {
      const f = { id: made.length, ready: false, alive: true, discarded: false };
      made.push(f);
      return f;
    },
    usable: (f) => f.alive,
    ready: (f) => f.ready,
    ...(o.busy ? { busy: o.busy } : {}),
    discard: (f) => {
      f.discarded = true;
    },
    max: o.max ?? 3,
    idleMs: o.idleMs ?? 60_000,
  });
  return { p, made };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end && !cond(); ) await Bun.sleep(10);
  expect(cond()).toBe(true);
}

test("a take of a ready standby keeps the pool at one and makes the next after it", async () => {
  const { p, made } = pool();
  p.start();
  expect(made).toHaveLength(1);
  made[0]!.ready = true;
  expect(p.take()).toBe(made[0]);
  expect(p.target).toBe(1);
  expect(p.idle).toHaveLength(0); // the next one comes a little later, not beside this start
  await until(() => p.idle.length === 1);
  expect(made).toHaveLength(2);
  p.close();
});

test("takes that find none ready grow the pool up to its bound; a pause brings it back to one", async () => {
  const { p, made } = pool({ max: 3, idleMs: 300 });
  p.start();
  expect(p.take()).toBe(made[0]); // still booting: the next start would want another
  expect(p.target).toBe(2);
  expect(p.take()).toBeUndefined(); // none at all: a cold start
  expect(p.target).toBe(3);
  expect(p.take()).toBeUndefined();
  expect(p.target).toBe(3); // bounded
  // The refill (100 ms after) makes three; no take for idleMs (later) then ends the newest two.
  await until(() => p.target === 1);
  expect(made).toHaveLength(4);
  expect(made.filter((f) => f.discarded).map((f) => f.id)).toEqual([2, 3]);
  const kept = made[1]!;
  expect(p.idle).toEqual([kept]);
  p.close();
  expect(kept!.discarded).toBe(true);
});

test("a standby that died is passed over and ended; one that exited leaves the pool", async () => {
  const { p, made } = pool();
  p.start();
  await until(() => p.idle.length === 1);
  made[0]!.alive = false;
  expect(p.take()).toBeUndefined();
  expect(made[0]!.discarded).toBe(true);
  await until(() => p.idle.length >= 1);
  const next = p.idle[0]!;
  p.forget(next);
  expect(p.idle).not.toContain(next);
  p.close();
});

test("a closed pool makes nothing more", async () => {
  const { p, made } = pool();
  p.start();
  p.close();
  expect(made[0]!.discarded).toBe(true);
  expect(p.take()).toBeUndefined();
  await Bun.sleep(250); // longer than the refill delay: nothing may come
  expect(made).toHaveLength(1);
});

test("a standby given back (a group shim with room) waits again, and makes no new one; closed, the pool ends it", async () => {
  const { p, made } = pool();
  p.start();
  made[0]!.ready = true;
  const s = p.take()!;
  p.giveBack(s);
  expect(p.idle).toEqual([s]);
  await Bun.sleep(250); // past the refill: the pool holds its one
  expect(made).toHaveLength(1);
  expect(p.take()).toBe(s);
  p.close();
  p.giveBack(s);
  expect(s.discarded).toBe(true);
  expect(p.idle).toEqual([]);
});

test("a take prefers a ready standby, else the last given back; one busy with a start does not grow the pool", async () => {
  const busy = new Set<Fake>();
  const { p, made } = pool({ busy: (f) => busy.has(f) });
  p.start();
  const [a] = made as [Fake];
  a.ready = true;
  expect(p.take()).toBe(a);
  // Its prepared stage 2 went to that start, which is under way: taken again, it is no miss.
  a.ready = false;
  busy.add(a);
  p.giveBack(a);
  expect(p.take()).toBe(a);
  expect(p.target).toBe(1);
  p.giveBack(a);
  // Neither ready nor busy: a miss, and the pool grows; the standby made then, once ready, is taken before the one given back.
  busy.delete(a);
  expect(p.take()).toBe(a);
  expect(p.target).toBe(2);
  p.giveBack(a);
  await until(() => made.length === 2);
  const b = made[1]!;
  expect(p.idle).toEqual([a, b]);
  expect(p.take()).toBe(a); // b still boots: the first in line
  p.giveBack(a);
  b.ready = true;
  expect(p.take()).toBe(b);
  p.close();
});
