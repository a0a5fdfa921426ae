// Engine API: /images/... served by the image engine.
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { InvalidParameterError, messageOf } from "../../errors.ts";
import type { Daemon } from "../../daemon/daemon.ts";
import { parseFilters } from "./containers.ts";
import { familiarName } from "../../daemon/image-events.ts";
import { pullRoute } from "./registry.ts";

const bool = (v: string | undefined) => v === "1" || v === "true" || v === "True";

/** Image names may hold slashes: `/images/library/busybox:latest/json`. */
function nameRoute(suffix: string): string {
  return `/images/:name{.+}${suffix}`;
}

/** docker's reference filter: path.Match on the familiar name, with or without its tag. */
export function referenceMatches(pattern: string, familiar: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
  return re.test(familiar) || re.test(familiar.replace(/:[^:/]*$/, ""));
}

export function imageRoutes(d: Daemon): Hono {
  const app = new Hono();
  const images = d.images;
  const event = (action: string, id: string, name = id) => d.imageEvents.emit(action, id, name);

  app.get("/images/json", async (c) => {
    const filters = parseFilters(c.req.query("filters"));
    const list = await images.list({ all: bool(c.req.query("all")), digests: bool(c.req.query("digests")), filters });
    // dockerd lists only the tags a reference filter matched.
    const refs = filters.reference ?? [];
    for (const img of refs.length ? list : []) {
      const kept = img.RepoTags.filter((t) => refs.some((p) => referenceMatches(p, t)));
      if (kept.length) img.RepoTags = kept;
    }
    return c.json(list);
  });

  app.post("/images/load", async (c) => {
    const quiet = bool(c.req.query("quiet"));
    const body = c.req.raw.body;
    if (!body) throw new InvalidParameterError("no archive in the request body");
    c.header("Content-Type", "application/json");
    return stream(c, async (s) => {
      try {
        const lines = await images.load(body, quiet ? undefined : (m) => void s.write(JSON.stringify(m) + "\n"));
        for (const l of lines) await s.write(JSON.stringify({ stream: `${l}\n` }) + "\n");
        await d.imageEvents.loaded(lines);
      } catch (e) {
        const message = messageOf(e);
        await s.write(JSON.stringify({ errorDetail: { message }, error: message }) + "\n");
      }
    });
  });

  app.get("/images/get", async (c) => {
    const names = c.req.queries("names") ?? [];
    if (!names.length) throw new InvalidParameterError("no images named");
    const tar = await images.save(names);
    for (const n of names) await event("save", images.resolve(n));
    return c.body(tar, 200, { "Content-Type": "application/x-tar" });
  });

  app.post("/images/create", async (c) => {
    const q = (k: string) => c.req.query(k);
    if (q("fromImage")) return pullRoute(d, c);
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
        await event("import", id);
        await s.write(JSON.stringify({ status: id }) + "\n");
      } catch (e) {
        const message = messageOf(e);
        await s.write(JSON.stringify({ errorDetail: { message }, error: message }) + "\n");
      }
    });
  });

  app.post("/images/prune", async (c) => {
    const r = await images.prune(parseFilters(c.req.query("filters")));
    d.imageEvents.pruned(r.SpaceReclaimed);
    return c.json(r);
  });
  app.get(nameRoute("/json"), async (c) => c.json(await images.inspect(c.req.param("name")!)));
  app.get(nameRoute("/history"), async (c) => c.json(await images.history(c.req.param("name")!)));
  app.get(nameRoute("/get"), async (c) => {
    const tar = await images.save([c.req.param("name")!]);
    await event("save", images.resolve(c.req.param("name")!));
    return c.body(tar, 200, { "Content-Type": "application/x-tar" });
  });
  app.post(nameRoute("/tag"), async (c) => {
    const repo = c.req.query("repo");
    if (!repo) throw new InvalidParameterError("repository name must be given");
    const tag = c.req.query("tag") || "latest";
    await images.tag(c.req.param("name")!, repo, tag);
    await event("tag", images.resolve(c.req.param("name")!), familiarName(`${repo}:${tag}`));
    return c.body(null, 201);
  });
  app.delete("/images/:name{.+}", async (c) => {
    const name = c.req.param("name")!;
    let id: string | undefined;
    try {
      id = images.resolve(name);
    } catch {
      // remove() reports the missing image in Docker's words.
    }
    const labels = id ? await d.imageEvents.labels(id) : {};
    const items = await images.remove(name, { force: bool(c.req.query("force")), noprune: bool(c.req.query("noprune")) });
    d.imageEvents.removed(id, labels, items);
    return c.json(items);
  });
  return app;
}
