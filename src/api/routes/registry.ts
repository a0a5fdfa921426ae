// Engine API endpoints that talk to registries: pull (images/create with
// fromImage), push, auth, distribution inspect and search. The registry side
// is loaded at the first of them (Daemon.registry), not at the daemon's start.
import { Hono, type Context } from "hono";
import { InvalidParameterError } from "../../errors.ts";
import type { Daemon } from "../../daemon/daemon.ts";
import { decodeAuthHeader, normalizeAuthConfig } from "../../daemon/registry/auth-header.ts";
import { pullReference } from "../../daemon/registry/pull-reference.ts";
import { jsonProgress } from "../../daemon/registry/json-progress.ts";
import { familiarRepository, parseReference } from "../../image/reference.ts";
import { progressResponse } from "../progress-stream.ts";
import { parseFilters } from "./containers.ts";
import { familiarName } from "../../daemon/image-events.ts";

/** POST /images/create?fromImage=…&tag=…&platform=… (called by the images routes). */
export async function pullRoute(d: Daemon, c: Context): Promise<Response> {
  const { ref, allTags } = pullReference(c.req.query("fromImage")!, c.req.query("tag") || undefined);
  const auth = decodeAuthHeader(c.req.header("x-registry-auth"));
  const signal = c.req.raw.signal;
  return progressResponse(async (emit) => {
    const results = await (await d.registry()).pull(ref, allTags, {
      auth, platform: c.req.query("platform"), signal, onProgress: (p) => emit(jsonProgress(p)),
    });
    for (const r of results) await d.imageEvents.emit("pull", familiarName(r.reference), familiarRepository(ref));
  });
}

export function registryRoutes(d: Daemon): Hono {
  const app = new Hono();

  app.post("/images/:name{.+}/push", async (c) => {
    const name = c.req.param("name")!;
    const auth = decodeAuthHeader(c.req.header("x-registry-auth"));
    const tag = c.req.query("tag") || undefined;
    return progressResponse(async (emit) => {
      const results = await (await d.registry()).push(name, tag, { auth, signal: c.req.raw.signal, onProgress: (p) => emit(jsonProgress(p)) });
      for (const r of results) await d.imageEvents.emit("push", familiarName(r.reference), familiarRepository(parseReference(r.reference)));
    });
  });

  app.post("/auth", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new InvalidParameterError("invalid JSON body for /auth");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new InvalidParameterError("invalid JSON body for /auth");
    return c.json(await (await d.registry()).login(normalizeAuthConfig(body as Record<string, unknown>)));
  });

  app.get("/distribution/:name{.+}/json", async (c) => {
    const auth = decodeAuthHeader(c.req.header("x-registry-auth"));
    return c.json(await (await d.registry()).inspect(c.req.param("name")!, auth, c.req.raw.signal));
  });

  app.get("/images/search", async (c) => {
    const term = c.req.query("term");
    if (!term) throw new InvalidParameterError("term is required");
    const limitText = c.req.query("limit");
    const limit = limitText ? Number(limitText) : 25;
    const auth = decodeAuthHeader(c.req.header("x-registry-auth"));
    const [registry, { filterSearchResults }] = await Promise.all([d.registry(), import("../../daemon/registry/search.ts")]);
    const results = await registry.search(term, limit, auth, c.req.raw.signal);
    return c.json(filterSearchResults(results, parseFilters(c.req.query("filters"))));
  });
  return app;
}
