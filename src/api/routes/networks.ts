// Engine API: /networks/...
import { Hono } from "hono";
import { InvalidParameterError } from "../../errors.ts";
import type { NetworkEngine } from "../../daemon/networks/engine.ts";
import { parseFilters } from "./containers.ts";

async function jsonBody(c: { req: { json(): Promise<unknown> } }): Promise<Record<string, any>> {
  try {
    const body = await c.req.json();
    if (body && typeof body === "object") return body as Record<string, any>;
  } catch {
    // Not JSON: the error below says so.
  }
  throw new InvalidParameterError("invalid JSON: the request body is not valid JSON");
}

export function networkRoutes(networks: NetworkEngine): Hono {
  const app = new Hono();
  app.get("/networks", (c) => c.json(networks.list(parseFilters(c.req.query("filters")))));
  app.post("/networks/create", async (c) => c.json(await networks.create(await jsonBody(c)), 201));
  app.post("/networks/prune", (c) => c.json(networks.prune(parseFilters(c.req.query("filters")))));
  app.get("/networks/:id", (c) => c.json(networks.inspect(c.req.param("id"))));
  app.delete("/networks/:id", (c) => {
    networks.remove(c.req.param("id"));
    return c.body(null, 204);
  });
  app.post("/networks/:id/connect", async (c) => {
    const body = await jsonBody(c);
    if (!body.Container) throw new InvalidParameterError("no container specified");
    await networks.connect(c.req.param("id"), String(body.Container), body.EndpointConfig ?? {});
    return c.body(null, 200);
  });
  app.post("/networks/:id/disconnect", async (c) => {
    const body = await jsonBody(c);
    if (!body.Container) throw new InvalidParameterError("no container specified");
    await networks.disconnect(c.req.param("id"), String(body.Container), !!body.Force);
    return c.body(null, 200);
  });
  return app;
}
