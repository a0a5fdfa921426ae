// State.Health as inspect shows it, how one probe's result moves it, and its
// copy in the container's directory, so that a restarted daemon still shows
// the last probes (dockerd keeps it best-effort the same way).
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type HealthStatus = "starting" | "healthy" | "unhealthy";

export interface ProbeResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface Health {
  Status: HealthStatus;
  FailingStreak: number;
  Log: ProbeResult[];
}

/** Docker keeps the last five probes. */
const keptResults = 5;

/**
 * Applies one probe's result as dockerd does: exit 0 is healthy and ends the failing streak;
 * any other result adds to the streak (unless the container is still starting within its
 * start period) and `retries` failures in a row make it unhealthy.
 */
export function applyResult(h: Health, r: ProbeResult, retries: number, inStartPeriod: boolean): Health {
  const log = [...h.Log, r].slice(-keptResults);
  if (r.ExitCode === 0) return { Status: "healthy", FailingStreak: 0, Log: log };
  if (h.Status === "starting" && inStartPeriod) return { ...h, Log: log };
  const streak = h.FailingStreak + 1;
  return { Status: streak >= retries ? "unhealthy" : h.Status, FailingStreak: streak, Log: log };
}

function healthFile(dir: string): string {
  return join(dir, "health.json");
}

export function loadHealth(dir: string): Health | undefined {
  try {
    return JSON.parse(readFileSync(healthFile(dir), "utf8")) as Health;
  } catch {
    return undefined; // never started with a probe, or the container is being removed
  }
}

export function saveHealth(dir: string, h: Health): void {
  const tmp = `${healthFile(dir)}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(h));
    renameSync(tmp, healthFile(dir));
  } catch {
    // The container's directory went with its removal; there is nothing left to show it in.
  }
}
