// The Engine API as one Hono app: headers every response carries, errors as
// `{"message": …}` with the status the engine chose, and the route groups.
import { Hono } from "hono";
import { BerthError } from "../errors.ts";
import { RegistryError } from "../registry/client/errors.ts"; // not the client: it loads at the first pull
import { apiHeaders } from "./versioning.ts";
import type { Daemon } from "../daemon/daemon.ts";
import { systemRoutes } from "./routes/system.ts";
import { imageRoutes } from "./routes/images.ts";
import { registryRoutes } from "./routes/registry.ts";
import { containerRoutes } from "./routes/containers.ts";
import { execRoutes } from "./routes/exec.ts";
import { volumeRoutes } from "./routes/volumes.ts";
import { buildRoutes } from "./routes/build.ts";
import { networkRoutes } from "./routes/networks.ts";

export function createApiApp(d: Daemon): Hono {
  const app = new Hono();
  const debug = d.config.logLevel === "debug";
  app.use(async (c, next) => {
    // dockerd's "Calling METHOD path" debug line, with how long the answer took.
    const started = debug ? performance.now() : 0;
    await next();
    if (debug) d.log("debug", `Calling ${c.req.method} ${c.req.path} → ${c.res.status} in ${(performance.now() - started).toFixed(1)} ms`);
    for (const [k, v] of Object.entries(apiHeaders())) c.res.headers.set(k, v);
  });
  app.onError((err, c) => {
    const status = err instanceof BerthError ? err.status : 500;
    // A registry's failure is not berth's: one line, no stack.
    if (err instanceof RegistryError) d.log("warn", `${c.req.method} ${c.req.path}: ${err.message}`);
    else if (status >= 500 && status !== 501) d.log("error", `${c.req.method} ${c.req.path}: ${err.stack ?? err}`);
    return c.json({ message: err.message }, status as 400);
  });
  app.notFound((c) => c.json({ message: "page not found" }, 404));
  app.route("/", systemRoutes(d));
  app.route("/", registryRoutes(d));
  app.route("/", imageRoutes(d));
  app.route("/", containerRoutes(d.containers));
  app.route("/", execRoutes(d));
  app.route("/", volumeRoutes(d.containers.mounts.volumes));
  app.route("/", buildRoutes(d));
  app.route("/", networkRoutes(d.networks));
  return app;
}
