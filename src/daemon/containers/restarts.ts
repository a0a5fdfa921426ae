// The restarts a restart policy schedules: each waits out dockerd's back-off (the container shows
// as "restarting" meanwhile) and can be called off by a stop, kill or removal.
import type { ContainerState } from "./records.ts";
import { nextRestartDelay } from "./restart-policy.ts";
import { skipped } from "../../shared/debug-log.ts";

export class PolicyRestarts {
  private waiting = new Map<string, Timer>();
  private underway = new Map<string, Promise<unknown>>();
  /** The last delay per container, for the back-off; forgotten at a start by hand, as dockerd forgets it. */
  private lastDelay = new Map<string, number>();

  constructor(private restart: (id: string) => Promise<unknown>) {}

  /** Schedules the restart after the exit `exit` (a daemon's restart found it waiting: the shortest delay). */
  schedule(id: string, exit: ContainerState): void {
    this.cancel(id);
    const delay = nextRestartDelay(this.lastDelay.get(id), exit);
    this.lastDelay.set(id, delay);
    const timer = setTimeout(() => {
      this.waiting.delete(id);
      const run = this.restart(id).catch(skipped("restarting a container by its restart policy"));
      this.underway.set(id, run);
      void run.finally(() => this.underway.delete(id));
    }, delay);
    // A pending restart does not keep a daemon that is shutting down alive.
    timer.unref();
    this.waiting.set(id, timer);
  }

  /** Calls off a restart still waiting; true if there was one. */
  cancel(id: string): boolean {
    const timer = this.waiting.get(id);
    if (!timer) return false;
    clearTimeout(timer);
    this.waiting.delete(id);
    return true;
  }

  /** A restart whose start is being made now, to wait for before acting on the container. */
  inProgress(id: string): Promise<unknown> | undefined {
    return this.underway.get(id);
  }

  /** A start by hand (or a removal): the next policy restart backs off from the start again. */
  forget(id: string): void {
    this.cancel(id);
    this.lastDelay.delete(id);
  }
}
