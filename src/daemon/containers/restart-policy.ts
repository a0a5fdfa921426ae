// Docker's restart policies: whether an exited container starts again, and
// after how long (100 ms doubling up to a minute, as dockerd backs off).
import { ConflictError } from "../../errors.ts";
import type { ContainerRecord, ContainerState } from "./records.ts";

export function shouldRestart(c: ContainerRecord, s: ContainerState): boolean {
  if (s.Status === "created") return false;
  const policy = c.hostConfig.RestartPolicy ?? {};
  switch (policy.Name) {
    case "always":
    case "unless-stopped":
      return true;
    case "on-failure":
      return retriesLeft(c, s);
    default:
      return false;
  }
}

/**
 * dockerd's rule when it starts, for a container that ran before and is not running: "always"
 * starts again even if stopped by hand, "unless-stopped" unless it was, "on-failure" after a
 * failure with retries left.
 */
export function restartsAtDaemonStart(c: ContainerRecord): boolean {
  const s = c.state;
  if (s.Running || s.Status !== "exited" || !(Date.parse(s.StartedAt) > 0)) return false;
  switch (c.hostConfig.RestartPolicy?.Name) {
    case "always":
      return true;
    case "unless-stopped":
      return !c.manuallyStopped;
    case "on-failure":
      return retriesLeft(c, s);
    default:
      return false;
  }
}

function retriesLeft(c: ContainerRecord, s: ContainerState): boolean {
  const max = c.hostConfig.RestartPolicy?.MaximumRetryCount;
  return s.ExitCode !== 0 && (!max || c.restartCount < max);
}

/**
 * dockerd's back-off: 100 ms after a first exit or one that ran 10 s or more, else twice the last
 * delay, at most a minute.
 */
export function nextRestartDelay(last: number | undefined, exit: Pick<ContainerState, "StartedAt" | "FinishedAt">): number {
  const ran = Date.parse(exit.FinishedAt) - Date.parse(exit.StartedAt);
  if (last === undefined || !(ran < 10_000)) return 100;
  return Math.min(last * 2, 60_000);
}

/** What dockerd answers an operation that needs the program while a restart policy waits. */
export function restartingError(id: string): ConflictError {
  return new ConflictError(`Container ${id} is restarting, wait until the container is running`);
}
