// POST /build in the classic builder's protocol (what the docker CLI uses
// without buildx): the context tar in the body, options in the query, and
// JSON messages back — {"stream"}, {"aux": {"ID"}}, {"error", "errorDetail"}.
// POST /build/prune empties the build cache. The builder is loaded at the first
// build, not at the daemon's start (an idle daemon holds none of its code).
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { InvalidParameterError, messageOf } from "../../errors.ts";
import type { Daemon } from "../../daemon/daemon.ts";
import { duBytes } from "../../daemon/disk-usage.ts";
import { formatReference, parseReference, withDefaultTag } from "../../image/reference.ts";
import { debugLog, skipped } from "../../shared/debug-log.ts";

const bool = (v: string | undefined) => v === "1" || v === "true" || v === "True";

function jsonQuery<T>(text: string | undefined, what: string): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new InvalidParameterError(`invalid ${what}: not valid JSON`);
  }
}

/** `cachefrom`: a JSON list of image names. */
function cacheFrom(text: string | undefined): string[] {
  const list = jsonQuery<unknown>(text, "cachefrom") ?? [];
  if (!Array.isArray(list) || !list.every((x) => typeof x === "string")) throw new InvalidParameterError("invalid cachefrom: want a JSON list of image names");
  return list;
}

/** The build cache as /system/df reports it: one record per cached step, one per RUN --mount=type=cache dir. */
export async function buildCacheUsage(d: Daemon): Promise<Record<string, unknown>[]> {
  const [{ BuildCache }, { buildHost }] = await Promise.all([import("../../build/cache.ts"), import("../../daemon/build-host.ts")]);
  const iso = (ms: number) => new Date(ms).toISOString();
  const steps = new BuildCache(d.store.db).entries().map((e) => {
    const row = d.store.images.get(e.imageId);
    const parent = row?.parent ? d.store.images.get(row.parent) : undefined;
    const tagged = d.store.images.refsOf(e.imageId).length > 0;
    return {
      ID: e.key.slice(0, 25), Parents: null, Type: "regular", Description: `image ${e.imageId.slice(7, 19)}`,
      InUse: false, Shared: tagged, Size: Math.max(0, (row?.size ?? 0) - (parent?.size ?? 0)),
      CreatedAt: iso(e.createdAt), LastUsedAt: iso(e.lastUsed), UsageCount: 1,
    };
  });
  const dir = buildHost(d).cacheMountDir();
  const mounts = readdirSync(dir).map((name) => ({
    ID: name.slice(0, 25), Parents: null, Type: "exec.cachemount", Description: "cached mount", InUse: false, Shared: false,
    Size: duBytes(join(dir, name)), CreatedAt: iso(statSync(join(dir, name)).birthtimeMs || statSync(join(dir, name)).mtimeMs), LastUsedAt: iso(statSync(join(dir, name)).mtimeMs), UsageCount: 1,
  }));
  return [...steps, ...mounts];
}

export function buildRoutes(d: Daemon): Hono {
  const app = new Hono();

  app.post("/build", async (c) => {
    const q = (k: string) => c.req.query(k);
    const tags = (c.req.queries("t") ?? []).filter(Boolean).map((t) => formatReference(withDefaultTag(parseReference(t))));
    const buildArgs = jsonQuery<Record<string, string | null>>(q("buildargs"), "buildargs") ?? {};
    const labels = jsonQuery<Record<string, string>>(q("labels"), "labels") ?? {};
    const network = d.networks.buildNetwork(q("networkmode"));
    const quiet = bool(q("q"));
    const dockerfile = q("dockerfile") || "Dockerfile";
    const [{ Builder, BuildStepError }, { receiveContext }, { fetchRemoteContext }, { buildHost }] = await Promise.all([
      import("../../build/builder.ts"), import("../../build/context/receive.ts"), import("../../build/context/remote.ts"), import("../../daemon/build-host.ts"),
    ]);
    const host = buildHost(d);
    const work = mkdtempSync(join(host.tmpDir(), "build-"));
    const signal = c.req.raw.signal;
    const body = c.req.raw.body;
    c.header("Content-Type", "application/json");
    return stream(c, async (s) => {
      const send = (m: unknown) => void s.write(JSON.stringify(m) + "\n");
      try {
        // A remote context replaces the body (the docker CLI sends none with it).
        const remote = q("remote");
        const secrets = jsonQuery<string[]>(q("secrets"), "secrets") ?? [];
        if (!Array.isArray(secrets) || !secrets.every((x) => typeof x === "string")) throw new InvalidParameterError("invalid secrets: want a JSON list of ids");
        if (remote && secrets.length) throw new InvalidParameterError("secrets travel in the sent context, and a remote context has none");
        const ctx = await receiveContext(remote ? await fetchRemoteContext(remote, signal) : body, work, dockerfile, secrets);
        const builder = new Builder(host, {
          dockerfileText: ctx.dockerfileText, dockerfileName: dockerfile, context: ctx.tree, tags, buildArgs,
          target: q("target") || undefined, noCache: bool(q("nocache")), cacheFrom: cacheFrom(q("cachefrom")), pull: bool(q("pull")), secretsDir: ctx.secretsDir, labels, network, platform: q("platform") || undefined,
        }, { stream: (text, writtenAt) => void (quiet || send(writtenAt === undefined ? { stream: text } : { stream: text, berthHeldMs: Date.now() - writtenAt })), aux: (v) => send({ aux: v }) }, signal);
        const id = await builder.run();
        if (quiet) send({ stream: `${id}\n` });
        for (const t of tags) d.events.emit("image", "tag", id, { name: t });
      } catch (e) {
        const message = messageOf(e);
        send({ errorDetail: { ...(e instanceof BuildStepError ? { code: e.code } : {}), message }, error: message });
      } finally {
        // Not waited for: an unpacked context is thousands of files to unlink, after the answer is out.
        void rm(work, { recursive: true, force: true }).catch(skipped("removing a build's context"));
      }
    });
  });

  app.post("/build/prune", async (c) => {
    const [{ BuildCache }, { buildHost }] = await Promise.all([import("../../build/cache.ts"), import("../../daemon/build-host.ts")]);
    const { keys, images } = new BuildCache(d.store.db).clear();
    // Each forgotten step by the ID system df shows for it, as dockerd lists its cache records.
    const deleted: string[] = keys.map((k) => k.slice(0, 25));
    let space = 0;
    // Cache images nothing else needs (no tag, no child, no container) go with their rows.
    for (const id of images) {
      if (!d.store.images.get(id) || d.store.images.refsOf(id).length || d.store.images.children(id).length) continue;
      if ((await d.images.isImageInUse(id)).length) continue;
      try {
        const row = d.store.images.get(id);
        await d.images.remove(id);
        space += row?.size ?? 0;
      } catch (e) {
        debugLog("pruning a build cache image", e);
      }
    }
    // RUN --mount=type=cache directories go too.
    const mounts = buildHost(d).cacheMountDir();
    for (const name of readdirSync(mounts)) {
      space += duBytes(join(mounts, name));
      rmSync(join(mounts, name), { recursive: true, force: true });
      deleted.push(`cache-mount:${name}`);
    }
    return c.json({ CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space });
  });

  return app;
}
