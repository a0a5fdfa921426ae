// Engine API: exec sessions (the attached start is a hijacked route, see hijack.ts).
import { Hono } from "hono";
import type { Daemon } from "../../daemon/daemon.ts";

export function execRoutes(d: Daemon): Hono {
  const app = new Hono();
  app.post("/containers/:id/exec", async (c) => {
    const body = await c.req.json().catch(() => ({}));
    return c.json({ Id: d.execs.create(c.req.param("id"), body) }, 201);
  });
  // Without an upgrade: a detached start (`docker exec -d`).
  app.post("/exec/:id/start", async (c) => {
    const id = c.req.param("id");
    d.execs.get(id);
    void d.execs.start(id);
    return c.body(null, 200);
  });
  app.get("/exec/:id/json", (c) => c.json(d.execs.inspect(c.req.param("id"))));
  app.post("/exec/:id/resize", (c) => {
    d.execs.resize(c.req.param("id"));
    return c.body(null, 200);
  });
  return app;
}
