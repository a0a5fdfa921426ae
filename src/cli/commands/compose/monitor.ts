// compose's monitor: the project's container events (create, start, die) for
// the services watched, each start and exit handed on, until every container
// it watches has exited for good. `logs -f` prints the exits and follows the
// containers that start (again) through it, as docker compose (2.39 on) does.
import { jsonMessages, type Client } from "../../../client/client.ts";
import { label } from "./names.ts";

export interface ContainerEvent {
  kind: "started" | "exited";
  id: string;
  /** The name compose prints (without the project when it is the default one). */
  name: string;
  exitCode: number;
  /** Exited and coming back (a restart policy), or started again after that. */
  restarting: boolean;
}

/** The log name of an event's container: `web-1` for `proj-web-1`, a container_name as it is. */
function eventName(project: string, attrs: Record<string, string>): string {
  const name = attrs.name ?? "";
  return name === `${project}-${attrs[label.service]}-${attrs[label.number]}` ? name.slice(project.length + 1) : name;
}

/**
 * Watches `initial` (and what is created or started later) among `services` (all
 * when empty) until none is left running or to come back; ends early on `signal`.
 */
export async function monitorProject(client: Client, project: string, services: string[], initial: string[], on: (e: ContainerEvent) => void, signal?: AbortSignal): Promise<void> {
  const watched = new Set(initial);
  const restarting = new Set<string>();
  if (!watched.size) return;
  const stop = new AbortController();
  signal?.addEventListener("abort", () => stop.abort());
  const filters = { type: ["container"], label: [`${label.project}=${project}`] };
  const res = await client.request("GET", "/events", { query: { filters: JSON.stringify(filters) }, signal: stop.signal });
  try {
    for await (const m of jsonMessages(res)) {
      const attrs: Record<string, string> = m.Actor?.Attributes ?? {};
      // A one-off (compose run) is none of the services' containers.
      if (attrs[label.oneoff] === "True" || (services.length && !services.includes(attrs[label.service] ?? ""))) continue;
      const id: string = m.Actor?.ID ?? m.id;
      const base = { id, name: eventName(project, attrs), exitCode: 0 };
      if (m.Action === "create") watched.add(id);
      else if (m.Action === "start") {
        watched.add(id);
        on({ ...base, kind: "started", restarting: restarting.has(id) });
      } else if (m.Action === "die") {
        // A restart policy brings it back: the daemon says so as Restarting (or Running again by now).
        const state = await client.json("GET", `/containers/${id}/json`).then((i) => i.State, () => undefined); // removed: it will not come back
        const back = !!state && (state.Restarting || state.Running);
        if (back) restarting.add(id);
        else watched.delete(id);
        on({ ...base, kind: "exited", exitCode: Number(attrs.exitCode ?? 0), restarting: back });
      }
      if (!watched.size) return;
    }
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  } finally {
    stop.abort();
  }
}
