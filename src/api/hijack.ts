// Hijacked Engine API routes: the raw-stream endpoints (attach, exec start).
import type { HijackRoute } from "./server.ts";
import type { Daemon } from "../daemon/daemon.ts";
import { upgradeReply } from "./server.ts";

export function hijackRoutes(d: Daemon): HijackRoute[] {
  return [
    {
      method: "POST",
      pattern: /^\/containers\/([^/]+)\/attach$/,
      keys: ["id"],
      async handler(socket, params, query) {
        const c = d.containers.find(params.id!);
        const tty = !!c.config.Tty;
        socket.write(upgradeReply(tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"));
        await d.containers.attach(c, socket, {
          stdin: query.get("stdin") === "1" || query.get("stdin") === "true",
          stdout: query.get("stdout") === "1" || query.get("stdout") === "true",
          stderr: query.get("stderr") === "1" || query.get("stderr") === "true",
          logs: query.get("logs") === "1" || query.get("logs") === "true",
        });
      },
    },
    {
      method: "POST",
      pattern: /^\/exec\/([^/]+)\/start$/,
      keys: ["id"],
      async handler(socket, params, _query, rest) {
        const s = d.execs.get(params.id!);
        socket.write(upgradeReply(s.body.Tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"));
        if (rest.length) socket.unshift(rest);
        await d.execs.start(params.id!, socket);
      },
    },
  ];
}
