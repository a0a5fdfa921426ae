// `--health-*` and `--no-healthcheck` of run/create → Config.Healthcheck, with
// the docker CLI's checks and messages. Durations are Go's ("1m30s", "500ms").
import type { FlagSpec } from "../flags.ts";
import { UsageError } from "../flags.ts";
import { parseDuration } from "../../shared/duration.ts";

export const healthFlags: FlagSpec[] = [
  { name: "health-cmd", type: "string", help: "Command to run to check health" },
  { name: "health-interval", type: "string", valueName: "duration", help: "Time between running the check (ms|s|m|h) (default 0s)" },
  { name: "health-timeout", type: "string", valueName: "duration", help: "Maximum time to allow one check to run (ms|s|m|h) (default 0s)" },
  { name: "health-retries", type: "number", valueName: "int", help: "Consecutive failures needed to report unhealthy" },
  { name: "health-start-period", type: "string", valueName: "duration", help: "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)" },
  { name: "health-start-interval", type: "string", valueName: "duration", help: "Time between running the check during the start period (ms|s|m|h) (default 0s)" },
  { name: "no-healthcheck", type: "bool", help: "Disable any container-specified HEALTHCHECK" },
];

function duration(f: Record<string, any>, name: string): number {
  const v = f[name] as string | undefined;
  if (v === undefined) return 0;
  const ns = parseDuration(v);
  if (ns === undefined) throw new UsageError(`invalid argument "${v}" for "--${name}" flag: time: invalid duration "${v}"`);
  if (ns < 0) throw new UsageError(`--${name} cannot be negative`);
  return ns;
}

/** The create body's Healthcheck, or undefined when no health flag was given (the image's applies). */
export function healthcheckFromFlags(f: Record<string, any>): Record<string, unknown> | undefined {
  const config = {
    Interval: duration(f, "health-interval"),
    Timeout: duration(f, "health-timeout"),
    StartPeriod: duration(f, "health-start-period"),
    StartInterval: duration(f, "health-start-interval"),
    Retries: f["health-retries"] ?? 0,
  };
  if (config.Retries < 0) throw new UsageError("--health-retries cannot be negative");
  const given = !!f["health-cmd"] || Object.values(config).some((v) => v !== 0);
  if (f["no-healthcheck"]) {
    if (given) throw new UsageError("--no-healthcheck conflicts with --health-* options");
    return { Test: ["NONE"] };
  }
  if (!given) return undefined;
  return { Test: f["health-cmd"] ? ["CMD-SHELL", f["health-cmd"]] : null, ...config };
}
