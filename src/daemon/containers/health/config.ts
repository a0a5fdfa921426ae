// A container's Healthcheck (Config.Healthcheck, durations in nanoseconds):
// merged with the image's as dockerd merges them, checked with dockerd's
// messages, and read with Docker's defaults.
import { InvalidParameterError } from "../../../errors.ts";

export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

const second = 1e9;
/** Docker's defaults: interval and timeout 30 s, no start period, 5 s between probes in it, 3 retries. */
const defaults = { Interval: 30 * second, Timeout: 30 * second, StartPeriod: 0, StartInterval: 5 * second, Retries: 3 };

const fields = ["Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"] as const;

/** The request's healthcheck over the image's: each field the request leaves zero comes from the image. */
export function mergeHealthcheck(image: HealthConfig | undefined | null, request: HealthConfig | undefined | null): HealthConfig | undefined {
  if (!request) return image ?? undefined;
  const out: HealthConfig = { ...request };
  if (typeof out.Test === "string") out.Test = [out.Test]; // a StrSlice takes one string too
  if (image) {
    if (!out.Test?.length) out.Test = image.Test;
    for (const k of fields) if (!out[k]) out[k] = image[k];
  }
  // Stored as dockerd keeps it: a field sent as null or 0 is unset and not shown (docker-compose 1.29 sends nulls).
  for (const k of fields) if (!out[k]) delete out[k];
  if (!out.Test?.length) delete out.Test;
  return out;
}

/** dockerd's checks at create: each duration set is at least 1ms, retries not negative. */
export function checkHealthcheck(h: HealthConfig | undefined | null): void {
  if (!h) return;
  const ms = 1e6;
  for (const k of ["Interval", "Timeout"] as const) {
    if (h[k] && h[k]! < ms) throw new InvalidParameterError(`${k} in Healthcheck cannot be less than 1ms`);
  }
  if ((h.Retries ?? 0) < 0) throw new InvalidParameterError("Retries in Healthcheck cannot be negative");
  for (const k of ["StartPeriod", "StartInterval"] as const) {
    if (h[k] && h[k]! < ms) throw new InvalidParameterError(`${k} in Healthcheck cannot be less than 1ms`);
  }
}

/**
 * The probe's command line, or undefined when the container has no probe: no healthcheck,
 * NONE, or a type other than CMD and CMD-SHELL (which dockerd ignores with a warning).
 */
export function probeCommand(config: { Healthcheck?: HealthConfig | null; Shell?: string[] | null }): string[] | undefined {
  const test = config.Healthcheck?.Test;
  if (!test?.length) return undefined;
  const args = test.slice(1);
  if (test[0] === "CMD") return args.length ? args : undefined;
  if (test[0] === "CMD-SHELL") return [...(config.Shell?.length ? config.Shell : ["/bin/sh", "-c"]), ...args];
  return undefined;
}

/** The timings in milliseconds, Docker's defaults for what is unset. */
export function probeTimings(h: HealthConfig): { interval: number; timeout: number; startPeriod: number; startInterval: number; retries: number } {
  const ms = (v: number | undefined, d: number) => (v ? v : d) / 1e6;
  return {
    interval: ms(h.Interval, defaults.Interval),
    timeout: ms(h.Timeout, defaults.Timeout),
    startPeriod: ms(h.StartPeriod, defaults.StartPeriod),
    startInterval: ms(h.StartInterval, defaults.StartInterval),
    retries: h.Retries && h.Retries > 0 ? h.Retries : defaults.Retries,
  };
}
