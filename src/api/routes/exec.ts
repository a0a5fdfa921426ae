// Engine API: exec sessions (start, attached or detached, is a hijack route: see ../hijack.ts).
import { jsonBody } from "../body/json-body.ts";
import { Hono } from "hono";
import type { Daemon } from "../../daemon/daemon.ts";
import { InvalidParameterError } from "../../errors.ts";

export function execRoutes(d: Daemon): Hono {
  const app = new Hono();
  app.post("/containers/:id/exec", async (c) => {
    const body = await jsonBody(c.req.raw, { emptyIsObject: true });
    return c.json({ Id: d.execs.create(c.req.param("id"), body) }, 201);
  });
  app.get("/exec/:id/json", (c) => c.json(d.execs.inspect(c.req.param("id"))));
  app.post("/exec/:id/resize", async (c) => {
    const size = (k: "h" | "w") => {
      const v = c.req.query(k) ?? "";
      if (!/^\d+$/.test(v)) throw new InvalidParameterError(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
      return Number(v);
    };
    await d.execs.resize(c.req.param("id"), size("h"), size("w"));
    return c.body(null, 200);
  });
  return app;
}
