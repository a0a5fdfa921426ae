// Callers waiting on a container: for its next exit (`wait`, `start -a`) or
// for its removal (`wait condition=removed`, `run --rm`). Each wait ends early,
// with `onAbort`'s value, when its caller goes away.
export class Waiters<T> {
  private byId = new Map<string, ((v: T) => void)[]>();

  wait(id: string, abort: AbortSignal | undefined, onAbort: () => T): Promise<T> {
    return new Promise((resolve) => {
      const waiter = (v: T) => resolve(v);
      this.byId.set(id, [...(this.byId.get(id) ?? []), waiter]);
      abort?.addEventListener("abort", () => {
        this.byId.set(id, (this.byId.get(id) ?? []).filter((w) => w !== waiter));
        resolve(onAbort());
      }, { once: true });
    });
  }

  /** Wakes everyone waiting on `id` with `value`. */
  notify(id: string, value: T): void {
    const list = this.byId.get(id) ?? [];
    this.byId.delete(id);
    for (const w of list) w(value);
  }
}
