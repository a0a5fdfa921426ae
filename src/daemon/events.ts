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
    // Field order as dockerd's events.Message marshals it.
    const legacy = type === "container" || type === "image";
    const e: EngineEvent = {
      ...(legacy ? { status: action, id, ...(attributes.image ? { from: attributes.image } : {}) } : {}),
      Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: "local",
      time: Number(nowNs / 1_000_000_000n), timeNano: Number(nowNs),
    };
    this.recent.push(e);
    if (this.recent.length > 1000) this.recent.splice(0, this.recent.length - 1000);
    for (const s of this.subscribers) s(e);
  }

  since(seconds: number): EngineEvent[] {
    return this.recent.filter((e) => e.timeNano >= seconds * 1e9);
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
        case "image": return imageMatches(e, v);
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
