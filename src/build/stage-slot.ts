// Stages that do not need each other build at the same time, at most a few at
// once. A stage holds a slot while it works and gives it up while it waits for
// another stage's image: the stage it waits for may need that slot to be built.
import type { Limiter } from "../shared/limiter.ts";

export class StageSlot {
  constructor(private limiter: Limiter) {}

  async hold<T>(work: () => Promise<T>): Promise<T> {
    await this.limiter.acquire();
    try {
      return await work();
    } finally {
      this.limiter.release();
    }
  }

  async waitFor<T>(other: Promise<T>): Promise<T> {
    this.limiter.release();
    try {
      return await other;
    } finally {
      await this.limiter.acquire();
    }
  }
}
