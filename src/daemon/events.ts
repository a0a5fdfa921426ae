// The event bus behind `GET /events`: recent events kept in memory for
// `since`, live subscribers for streaming.
import type { Database } from "bun:sqlite";
import { withoutSync } from "../store/db.ts";
import type { EventSink } from "./containers/events.ts";

export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: "local";
  time: number;
  timeNano: number;
  // Older API fields, still read by docker-py and others.
  status?: string;
  id?: string;
  from?: string;
}

/** Where past events are kept; the daemon gives the store's database, tests may give none. */
export interface EventLog {
  append(e: EngineEvent): void;
  /** The stored events in the window, oldest first; read as they are consumed. */
  since(timeNano: number, untilNano?: number): Iterable<EngineEvent>;
}

/** Events in the store's sqlite, so `events --since` reaches back across daemon restarts. */
export class SqliteEventLog implements EventLog {
  private insert;
  private select;
  private selectFrom;
  private trim;
  private appended = 0;

  constructor(private db: Database, private keep = 10_000) {
    this.insert = db.query("INSERT INTO events (time_nano, event) VALUES (?, ?)");
    this.select = db.query(`SELECT seq, event FROM events WHERE seq > ? AND time_nano >= ? AND time_nano <= ? ORDER BY seq LIMIT ?`);
    this.selectFrom = db.query(`SELECT seq, event FROM events WHERE seq > ? AND time_nano >= ? ORDER BY seq LIMIT ?`);
    this.trim = db.query("DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?");
  }

  append(e: EngineEvent): void {
    withoutSync(this.db, () => {
      this.insert.run(e.timeNano, JSON.stringify(e));
      // Trim now and then rather than on every insert.
      if (++this.appended % 500 === 0) this.trim.run(this.keep);
    });
  }

  /**
   * A page of rows at a time, each parsed as it is taken: a replay to a slow client holds one page,
   * not the whole log (10,000 events, each as big as its labels). A page is sized to about
   * PAGE_BYTES by the rows read so far, so big events come a few at a time.
   */
  *since(timeNano: number, untilNano?: number): Generator<EngineEvent> {
    for (let after = 0, limit = FIRST_PAGE; ;) {
      const rows = (untilNano === undefined ? this.selectFrom.all(after, timeNano, limit) : this.select.all(after, timeNano, untilNano, limit)) as ({ seq: number; event: string } | undefined)[];
      let bytes = 0;
      for (const r of rows) bytes += r!.event.length;
      after = rows.at(-1)?.seq ?? after;
      const full = rows.length === limit;
      limit = Math.max(1, Math.min(MAX_PAGE, Math.floor((PAGE_BYTES * rows.length) / Math.max(1, bytes))));
      for (let i = 0; i < rows.length; i++) {
        const { event } = rows[i]!;
        rows[i] = undefined; // a row's text is let go once it is parsed
        yield JSON.parse(event) as EngineEvent;
      }
      if (!full) return;
    }
  }
}

/** Rows in a replay's first page, before their size is known; the most in any page. */
const FIRST_PAGE = 8;
const MAX_PAGE = 256;
/** About what a replay's page of rows may hold. */
const PAGE_BYTES = 1 << 20;

/** The last events in memory only (no store). */
export class MemoryEventLog implements EventLog {
  private recent: EngineEvent[] = [];
  append(e: EngineEvent): void {
    this.recent.push(e);
    if (this.recent.length > 1000) this.recent.splice(0, this.recent.length - 1000);
  }
  since(timeNano: number, untilNano = Infinity): EngineEvent[] {
    return this.recent.filter((e) => e.timeNano >= timeNano && e.timeNano <= untilNano);
  }
}

export class EventBus implements EventSink {
  private subscribers = new Set<(e: EngineEvent) => void>();
  private lastNano = 0;

  constructor(private log: EventLog = new MemoryEventLog()) {}

  emit(type: string, action: string, id: string, attributes: Record<string, string>): void {
    // Nanoseconds from the ms clock, kept increasing so order survives a round trip
    // (a step of 1000: doubles near 1.8e18 are only exact to 256 ns).
    const nano = Math.max(Date.now() * 1_000_000, this.lastNano + 1000);
    this.lastNano = nano;
    // Field order as dockerd's events.Message marshals it.
    const legacy = type === "container" || type === "image";
    const e: EngineEvent = {
      ...(legacy ? { status: action, id, ...(attributes.image ? { from: attributes.image } : {}) } : {}),
      Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: "local",
      time: Math.floor(nano / 1e9), timeNano: nano,
    };
    this.log.append(e);
    for (const s of this.subscribers) s(e);
  }

  since(seconds: number, untilSeconds?: number): Iterable<EngineEvent> {
    return this.log.since(Math.floor(seconds * 1e9), untilSeconds === undefined ? undefined : Math.floor(untilSeconds * 1e9));
  }

  subscribe(fn: (e: EngineEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}

const prefixActions = new Set(["health_status", "exec_create", "exec_start"]);

/** Docker's event filters: type, event/action, container, image, label. */
export function eventMatches(e: EngineEvent, filters: Record<string, string[]>): boolean {
  for (const [k, vs] of Object.entries(filters)) {
    if (!vs.length) continue;
    const ok = vs.some((v) => {
      switch (k) {
        case "type": return e.Type === v;
        // As dockerd does, `health_status`, `exec_create` and `exec_start` also match the actions they begin ("health_status: healthy").
        case "event": case "action": return e.Action === v || (prefixActions.has(v) && e.Action.startsWith(`${v}:`));
        case "container": return e.Type === "container" && (e.Actor.ID.startsWith(v) || e.Actor.Attributes.name === v);
        case "image": return imageMatches(e, v);
        case "volume": return e.Type === "volume" && e.Actor.ID === v;
        case "scope": return v === "local";
        case "daemon": return false;
        case "label": {
          const [lk, lv] = v.split("=", 2);
          return lv === undefined ? lk! in e.Actor.Attributes : e.Actor.Attributes[lk!] === lv;
        }
        default: return false;
      }
    });
    if (!ok) return false;
  }
  return true;
}

/** `--filter image=busybox` matches busybox:latest, the image ID, and a short ID. */
function imageMatches(e: EngineEvent, v: string): boolean {
  const strip = (n: string) => n.replace(/:[^:/]+$/, "");
  const names = [e.Actor.Attributes.image, e.Type === "image" ? e.Actor.Attributes.name : undefined].filter((n): n is string => !!n);
  if (e.Type === "image" && (e.Actor.ID === v || e.Actor.ID === `sha256:${v}` || (v.length >= 12 && e.Actor.ID.replace(/^sha256:/, "").startsWith(v)))) return true;
  return names.some((n) => n === v || strip(n) === v || n === `${v}:latest`);
}
