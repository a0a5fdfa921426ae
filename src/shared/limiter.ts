// A counting semaphore: at most N holders at a time, the others served in the order they asked.
export class Limiter {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }

  /** Holders that could still be let in at once. */
  get available(): number {
    return this.free;
  }
}
