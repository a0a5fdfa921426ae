// Engine API: /volumes (the local driver).
import { Hono } from "hono";
import { InvalidParameterError } from "../../errors.ts";
import type { VolumeService } from "../../daemon/volumes/service.ts";
import { parseFilters } from "./containers.ts";
import { apiVersionHeader, compareApiVersion } from "../versioning.ts";
import { apiVersion } from "../../version.ts";

const bool = (v: string | undefined) => v === "1" || v === "true" || v === "True";

export function volumeRoutes(volumes: VolumeService): Hono {
  const app = new Hono();

  app.get("/volumes", (c) => {
    const list = volumes.list(parseFilters(c.req.query("filters")));
    return c.json({ Volumes: list.map((v) => volumes.view(v)), Warnings: null });
  });

  app.post("/volumes/create", async (c) => {
    const text = await c.req.text();
    let body: Record<string, any> = {};
    if (text.trim()) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new InvalidParameterError("invalid JSON: the request body is not valid JSON");
      }
    }
    if (!body || typeof body !== "object") throw new InvalidParameterError("invalid JSON: the request body is not an object");
    const { volume } = volumes.create({ Name: body.Name, Driver: body.Driver, DriverOpts: body.DriverOpts, Labels: body.Labels });
    return c.json(volumes.view(volume), 201);
  });

  app.post("/volumes/prune", (c) => {
    // API 1.42 made prune take only anonymous volumes unless the `all` filter says otherwise.
    const version = c.req.header(apiVersionHeader) ?? apiVersion;
    return c.json(volumes.prune(parseFilters(c.req.query("filters")), compareApiVersion(version, "1.42") >= 0));
  });

  app.get("/volumes/:name", (c) => c.json(volumes.view(volumes.get(c.req.param("name")))));

  app.delete("/volumes/:name", (c) => {
    volumes.remove(c.req.param("name"), bool(c.req.query("force")));
    return c.body(null, 204);
  });

  return app;
}
