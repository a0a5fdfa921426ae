// How many standby shims the daemon keeps ready, and when it makes them.

import { standbyRefillDelayMs } from "./standby-refill.ts";

export interface StandbyPoolOptions<T> {
  /** Boots one standby. */
  make(): T;
  /** Still alive and able to take work. */
  usable(s: T): boolean;
  /** Done booting: a start that takes it waits for nothing. */
  ready(s: T): boolean;
  /**
   * Making a start (a group shim with a start under way): not ready for that reason, which says
   * nothing of how fast starts come, so taking it does not grow the pool.
   */
  busy?(s: T): boolean;
  /** Ends one that is not needed (it removes what it made). */
  discard(s: T): void;
  /** The most kept at once (each idle one costs memory). */
  max: number;
  /** After this long without a take, the pool goes back to one. */
  idleMs: number;
}

/**
 * One standby is enough for starts that come apart; starts that come faster than
 * one boots (back to back, or in parallel) found none ready and paid for a cold
 * boot. Each such take makes the pool one larger, up to `max`; a pause of
 * `idleMs` without a take brings it back to one, so an idle daemon keeps one.
 */
export class StandbyPool<T> {
  private readonly waiting: T[] = [];
  private size = 1;
  private active = false;
  private refillTimer?: ReturnType<typeof setTimeout>;
  private shrinkTimer?: ReturnType<typeof setTimeout>;

  constructor(private readonly o: StandbyPoolOptions<T>) {}

  /** How many it aims to keep now. */
  get target(): number {
    return this.size;
  }

  /** Started and not closed: a start that found no standby may make one and give it back. */
  get accepting(): boolean {
    return this.active;
  }

  /** The standbys waiting for work, oldest first. */
  get idle(): readonly T[] {
    return this.waiting;
  }

  /** Makes the first standby and keeps the pool filled from now on. */
  start(): void {
    this.active = true;
    this.fill();
  }

  /**
   * A usable standby that `accept`s the start (a group shim whose stage 2 saw the binds' sources
   * as they are), or undefined (the start then needs a new one): the first ready one (its stage 2
   * is prepared), else the first in line, which is the last given back.
   */
  take(accept: (s: T) => boolean = () => true): T | undefined {
    for (const dead of this.waiting.filter((x) => !this.o.usable(x))) {
      this.waiting.splice(this.waiting.indexOf(dead), 1);
      this.o.discard(dead);
    }
    let i = this.waiting.findIndex((x) => accept(x) && this.o.ready(x));
    if (i < 0) i = this.waiting.findIndex(accept);
    const s = i >= 0 ? this.waiting.splice(i, 1)[0] : undefined;
    if (!this.active) return s;
    if (s === undefined || !(this.o.ready(s) || this.o.busy?.(s))) this.size = Math.min(this.o.max, this.size + 1);
    this.refillSoon();
    clearTimeout(this.shrinkTimer);
    this.shrinkTimer = setTimeout(() => this.shrink(), this.o.idleMs);
    this.shrinkTimer.unref?.();
    return s;
  }

  /**
   * One taken that can take more work (a group shim with room left) waits again, first in line:
   * a burst of starts packs into as few shims as hold it (a ready one is still taken first). It
   * is ready again once it has prepared its next stage 2. Ended if the pool is closed.
   */
  giveBack(s: T): void {
    if (this.active) this.waiting.unshift(s);
    else this.o.discard(s);
  }

  /** A standby that exited on its own leaves the pool. */
  forget(s: T): void {
    const i = this.waiting.indexOf(s);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** Ends every waiting standby and makes no more (daemon shutdown). */
  close(): void {
    this.active = false;
    clearTimeout(this.refillTimer);
    clearTimeout(this.shrinkTimer);
    for (const s of this.waiting.splice(0)) this.o.discard(s);
  }

  /**
   * Made a little after a take: a standby booting beside the start that took one competes
   * with it (see standby-refill.ts). One timer fills up to the size then, for any number of takes.
   */
  private refillSoon(): void {
    if (this.refillTimer) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.fill();
    }, standbyRefillDelayMs);
    this.refillTimer.unref?.();
  }

  private fill(): void {
    if (!this.active) return;
    while (this.waiting.length < this.size) this.waiting.push(this.o.make());
  }

  private shrink(): void {
    this.size = 1;
    // The newest go: the oldest is the most likely to be ready.
    for (const s of this.waiting.splice(1)) this.o.discard(s);
  }
}
