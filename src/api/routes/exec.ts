// Engine API: exec sessions (start, attached or detached, is a hijack route: see ../hijack.ts).
import { Hono } from "hono";
import type { Daemon } from "../../daemon/daemon.ts";

export function execRoutes(d: Daemon): Hono {
  const app = new Hono();
  app.post("/containers/:id/exec", async (c) => {
    const body = await c.req.json().catch(() => ({}));
    return c.json({ Id: d.execs.create(c.req.param("id"), body) }, 201);
  });
  app.get("/exec/:id/json", (c) => c.json(d.execs.inspect(c.req.param("id"))));
  app.post("/exec/:id/resize", (c) => {
    d.execs.resize(c.req.param("id"));
    return c.body(null, 200);
  });
  return app;
}
