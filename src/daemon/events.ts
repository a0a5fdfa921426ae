// The event bus behind `GET /events`: recent events kept in memory for
// `since`, live subscribers for streaming.
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

export class EventBus implements EventSink {
  private recent: EngineEvent[] = [];
  private subscribers = new Set<(e: EngineEvent) => void>();

  emit(type: string, action: string, id: string, attributes: Record<string, string>): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const e: EngineEvent = {
      Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: "local",
      time: Number(nowNs / 1_000_000_000n), timeNano: Number(nowNs),
    };
    if (type === "container" || type === "image") {
      e.status = action;
      e.id = id;
      if (attributes.image) e.from = attributes.image;
    }
    this.recent.push(e);
    if (this.recent.length > 1000) this.recent.splice(0, this.recent.length - 1000);
    for (const s of this.subscribers) s(e);
  }

  since(seconds: number): EngineEvent[] {
    return this.recent.filter((e) => e.time >= seconds);
  }

  subscribe(fn: (e: EngineEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}

/** Docker's event filters: type, event/action, container, image, label. */
export function eventMatches(e: EngineEvent, filters: Record<string, string[]>): boolean {
  for (const [k, vs] of Object.entries(filters)) {
    if (!vs.length) continue;
    const ok = vs.some((v) => {
      switch (k) {
        case "type": return e.Type === v;
        case "event": case "action": return e.Action === v;
        case "container": return e.Type === "container" && (e.Actor.ID.startsWith(v) || e.Actor.Attributes.name === v);
        case "image": return e.Actor.ID === v || e.Actor.Attributes.image === v || e.Actor.Attributes.name === v;
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
