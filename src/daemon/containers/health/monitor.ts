// The health monitors of running containers: one timer per container that has
// a probe, started when the container starts (or is adopted by a restarted
// daemon), stopped when it stops or is paused. Between two probes the monitor
// waits the interval (the start interval while starting within the start
// period), from the end of one probe to the start of the next, as dockerd does.
import { join } from "node:path";
import { rfc3339Nano } from "../../../image/config.ts";
import type { ContainerRecord } from "../records.ts";
import { probeCommand, probeTimings } from "./config.ts";
import { runProbe, type ExecSessions } from "./probe.ts";
import { applyResult, loadHealth, saveHealth, type Health } from "./state.ts";

/** What the monitors need of the engine. */
export interface HealthHost {
  /** The container as it is now, or undefined once removed. */
  get(id: string): ContainerRecord | undefined;
  /** Raises a container event (`health_status: healthy`) with the container's attributes. */
  emit(c: ContainerRecord, action: string): void;
}

interface Monitor {
  health: Health;
  timer?: ReturnType<typeof setTimeout>;
  /** Cancels the probe in flight. */
  cancel: AbortController;
}

export class HealthMonitors {
  private active = new Map<string, Monitor>();

  constructor(private containersDir: string, private host: HealthHost, private execs: ExecSessions) {}

  private dir(id: string): string {
    return join(this.containersDir, id);
  }

  /**
   * A container started, restarted or adopted after a daemon restart: its health starts over
   * ("starting", no failing streak; the log is kept) and probing begins. `resume` (unpause)
   * keeps the status it had.
   */
  start(c: ContainerRecord, opts: { resume?: boolean } = {}): void {
    if (!probeCommand(c.config)) return;
    this.halt(c.id);
    const before = loadHealth(this.dir(c.id));
    const health: Health = opts.resume && before ? before : { Status: "starting", FailingStreak: 0, Log: before?.Log ?? [] };
    saveHealth(this.dir(c.id), health);
    const m: Monitor = { health, cancel: new AbortController() };
    this.active.set(c.id, m);
    this.schedule(c, m);
  }

  /** The container stopped or was paused: probing ends and, as in dockerd, the status reads unhealthy. */
  stop(id: string): void {
    const m = this.halt(id);
    if (m) saveHealth(this.dir(id), { ...m.health, Status: "unhealthy" });
  }

  private halt(id: string): Monitor | undefined {
    const m = this.active.get(id);
    if (!m) return undefined;
    this.active.delete(id);
    clearTimeout(m.timer);
    m.cancel.abort();
    return m;
  }

  /** State.Health for inspect, ps and the health filter; undefined for a container without a probe. */
  view(c: ContainerRecord): Health | undefined {
    if (!probeCommand(c.config)) return undefined;
    return this.active.get(c.id)?.health ?? loadHealth(this.dir(c.id));
  }

  /** Daemon shutdown: timers and probes stop; the containers keep running and the next daemon probes them. */
  close(): void {
    for (const id of [...this.active.keys()]) this.halt(id);
  }

  private schedule(c: ContainerRecord, m: Monitor): void {
    const t = probeTimings(c.config.Healthcheck);
    const sinceStart = Date.now() - Date.parse(c.state.StartedAt);
    const wait = sinceStart < t.startPeriod && m.health.Status === "starting" ? t.startInterval : t.interval;
    m.timer = setTimeout(() => void this.probe(c, m), wait);
  }

  private async probe(c: ContainerRecord, m: Monitor): Promise<void> {
    const argv = probeCommand(c.config)!;
    const t = probeTimings(c.config.Healthcheck);
    const start = new Date();
    const r = await runProbe(this.execs, c.id, argv, t.timeout, m.cancel.signal);
    // Stopped meanwhile: the result of a probe cut short is not recorded (dockerd drops it too).
    if (this.active.get(c.id) !== m) return;
    const inStartPeriod = start.getTime() - Date.parse(c.state.StartedAt) < t.startPeriod;
    const old = m.health.Status;
    m.health = applyResult(m.health, { Start: rfc3339Nano(start), End: rfc3339Nano(), ...r }, t.retries, inStartPeriod);
    saveHealth(this.dir(c.id), m.health);
    if (m.health.Status !== old) this.host.emit(this.host.get(c.id) ?? c, `health_status: ${m.health.Status}`);
    this.schedule(c, m);
  }
}
