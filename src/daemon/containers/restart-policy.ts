// Docker's restart policies: whether an exited container starts again, and
// after how long (100 ms doubling up to a minute, as dockerd backs off).
import type { ContainerRecord, ContainerState } from "./records.ts";

export function shouldRestart(c: ContainerRecord, s: ContainerState): boolean {
  if (s.Status === "created") return false;
  const policy = c.hostConfig.RestartPolicy ?? {};
  switch (policy.Name) {
    case "always":
    case "unless-stopped":
      return true;
    case "on-failure":
      return s.ExitCode !== 0 && (!policy.MaximumRetryCount || c.restartCount < policy.MaximumRetryCount);
    default:
      return false;
  }
}

export function restartDelay(restartCount: number): number {
  return Math.min(100 * 2 ** Math.min(restartCount, 10), 60_000);
}
