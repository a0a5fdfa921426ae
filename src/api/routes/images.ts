// Engine API: /images/... served by the image engine.
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { InvalidParameterError } from "../../errors.ts";
import type { Daemon } from "../../daemon/daemon.ts";
import { parseFilters } from "./containers.ts";

const bool = (v: string | undefined) => v === "1" || v === "true" || v === "True";

/** Image names may hold slashes: `/images/library/busybox:latest/json`. */
function nameRoute(suffix: string): string {
  return `/images/:name{.+}${suffix}`;
}

export function imageRoutes(d: Daemon): Hono {
  const app = new Hono();
  const images = d.images;

  app.get("/images/json", async (c) =>
    c.json(await images.list({ all: bool(c.req.query("all")), digests: bool(c.req.query("digests")), filters: parseFilters(c.req.query("filters")) })),
  );

  app.post("/images/load", async (c) => {
    const quiet = bool(c.req.query("quiet"));
    const body = c.req.raw.body;
    if (!body) throw new InvalidParameterError("no archive in the request body");
    c.header("Content-Type", "application/json");
    return stream(c, async (s) => {
      try {
        const lines = await images.load(body, quiet ? undefined : (m) => void s.write(JSON.stringify(m) + "\n"));
        for (const l of lines) await s.write(JSON.stringify({ stream: `${l}\n` }) + "\n");
        d.events.emit("image", "load", "", {});
      } catch (e: any) {
        const message = String(e?.message ?? e);
        await s.write(JSON.stringify({ errorDetail: { message }, error: message }) + "\n");
      }
    });
  });

  app.get("/images/get", async (c) => {
    const names = c.req.queries("names") ?? [];
    if (!names.length) throw new InvalidParameterError("no images named");
    const tar = await images.save(names);
    return c.body(tar, 200, { "Content-Type": "application/x-tar" });
  });

  app.post("/images/create", async (c) => {
    const q = (k: string) => c.req.query(k);
    if (q("fromImage")) {
      throw new InvalidParameterError("pulling images from a registry is not available yet in this berth build; use `berth load` or `berth import`");
    }
    if (q("fromSrc") !== "-") throw new InvalidParameterError("fromSrc must be \"-\" (the rootfs tar in the request body)");
    const body = c.req.raw.body;
    if (!body) throw new InvalidParameterError("no rootfs tar in the request body");
    let repo = q("repo") || undefined;
    let tag = q("tag") || undefined;
    c.header("Content-Type", "application/json");
    return stream(c, async (s) => {
      try {
        const id = await images.importRootfs(body, {
          repo, tag, changes: c.req.queries("changes") ?? [], message: q("message") || undefined, platform: q("platform") || undefined,
        });
        d.events.emit("image", "import", id, {});
        await s.write(JSON.stringify({ status: id }) + "\n");
      } catch (e: any) {
        const message = String(e?.message ?? e);
        await s.write(JSON.stringify({ errorDetail: { message }, error: message }) + "\n");
      }
    });
  });

  app.get(nameRoute("/json"), async (c) => c.json(await images.inspect(c.req.param("name")!)));
  app.get(nameRoute("/history"), async (c) => c.json(await images.history(c.req.param("name")!)));
  app.get(nameRoute("/get"), async (c) => {
    const tar = await images.save([c.req.param("name")!]);
    return c.body(tar, 200, { "Content-Type": "application/x-tar" });
  });
  app.post(nameRoute("/tag"), async (c) => {
    const repo = c.req.query("repo");
    if (!repo) throw new InvalidParameterError("repository name must be given");
    await images.tag(c.req.param("name")!, repo, c.req.query("tag") || "latest");
    d.events.emit("image", "tag", images.resolve(c.req.param("name")!), { name: `${repo}:${c.req.query("tag") || "latest"}` });
    return c.body(null, 201);
  });
  app.delete("/images/:name{.+}", async (c) => {
    const items = await images.remove(c.req.param("name")!, { force: bool(c.req.query("force")), noprune: bool(c.req.query("noprune")) });
    for (const i of items) {
      if (i.Untagged) d.events.emit("image", "untag", i.Untagged, { name: i.Untagged });
      if (i.Deleted) d.events.emit("image", "delete", i.Deleted, { name: i.Deleted });
    }
    return c.json(items);
  });
  return app;
}
