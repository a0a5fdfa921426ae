// Hijacked Engine API routes: the raw-stream endpoints (attach, exec start).
// Both the upgraded and the plain-POST forms come here (see hijack-conn.ts).
import type { HijackRoute } from "./hijack-conn.ts";
import { multiplexedStream, rawStream } from "./hijack-conn.ts";
import type { Daemon } from "../daemon/daemon.ts";
import { InvalidParameterError } from "../errors.ts";
import { parseDetachKeys } from "../shared/detach-keys.ts";

const flag = (q: URLSearchParams, k: string) => ["1", "true", "True"].includes(q.get(k) ?? "");

export function hijackRoutes(d: Daemon): HijackRoute[] {
  return [
    {
      method: "POST",
      pattern: /^\/containers\/([^/]+)\/attach$/,
      keys: ["id"],
      async handler(h) {
        const c = d.containers.find(h.params.id!);
        d.containers.checkAttachable(c);
        const detachKeys = parseDetachKeys(h.query.get("detachKeys") || undefined); // before the stream opens: a bad one is a 400
        const socket = h.open(c.config.Tty ? rawStream : multiplexedStream);
        await d.containers.attach(c, socket, {
          stdin: flag(h.query, "stdin"),
          stdout: flag(h.query, "stdout"),
          stderr: flag(h.query, "stderr"),
          logs: flag(h.query, "logs"),
          stream: flag(h.query, "stream"),
          detachKeys,
        });
      },
    },
    {
      method: "POST",
      pattern: /^\/exec\/([^/]+)\/start$/,
      keys: ["id"],
      async handler(h) {
        const id = h.params.id!;
        const s = d.execs.get(id);
        let opts: { Detach?: boolean; Tty?: boolean } = {};
        if (h.body.length) {
          try {
            opts = JSON.parse(h.body.toString("utf8"));
          } catch {
            throw new InvalidParameterError("invalid JSON in the exec start body");
          }
        }
        if (opts.Detach) {
          // `docker exec -d`: start, answer at once, let it run.
          const started = d.execs.start(id);
          h.respond(200);
          await started.catch(() => {}); // a detached exec's failure is read from exec inspect, not from this answer
          return;
        }
        const socket = h.open(s.body.Tty ? rawStream : multiplexedStream);
        await d.execs.start(id, socket);
      },
    },
  ];
}
