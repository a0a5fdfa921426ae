// Engine API: /containers/... (the non-hijacked part; attach and exec streams
// are served from the upgrade path).
import { jsonBody } from "../body/json-body.ts";
import { checkCreateBody, checkUpdateBody } from "../body/container-create.ts";
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { BerthError, InvalidParameterError, NotFoundError, NotImplementedError } from "../../errors.ts";
import type { ContainerEngine } from "../../daemon/containers/engine.ts";
import { frame, parseLogQuery, readLogBatches, type LogRecord } from "../../daemon/containers/logs.ts";
import { logAttributes, logsDisabled } from "../../daemon/containers/log-config.ts";
import { containerUserns, ownersOnDisk } from "../../daemon/containers/userns.ts";

// Loaded at their first request, not at the daemon's start: commit, diff, top,
// pause and update (with the image writer and the diff code), cp and export, stats.
const operations = () => import("../../daemon/containers/operations.ts");
const archive = () => import("../../daemon/containers/archive.ts");
const stats = () => import("../../daemon/containers/stats.ts");

/** `filters` query: `{"key":["v"]}` or the older `{"key":{"v":true}}`. */
export function parseFilters(raw: string | undefined): Record<string, string[]> {
  if (!raw) return {};
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new InvalidParameterError(`invalid filter: ${raw}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new InvalidParameterError(`invalid filter: ${raw}`);
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? v.map(String) : v && typeof v === "object" ? Object.keys(v) : [String(v)];
  }
  return out;
}

const bool = (v: string | undefined) => v === "1" || v === "true" || v === "True";

export function containerRoutes(engine: ContainerEngine): Hono {
  const app = new Hono();

  app.post("/containers/create", async (c) => {
    const body = await jsonBody(c.req.raw);
    checkCreateBody(body);
    const res = await engine.create(body, c.req.query("name") || undefined);
    return c.json(res, 201);
  });

  app.get("/containers/json", (c) => {
    const q = (k: string) => c.req.query(k);
    return c.json(
      engine.list({
        all: bool(q("all")),
        limit: q("limit") ? Number(q("limit")) : undefined,
        size: bool(q("size")),
        filters: parseFilters(q("filters")),
      }),
    );
  });

  app.post("/commit", async (c) => {
    const q = (k: string) => c.req.query(k);
    const container = q("container");
    if (!container) throw new InvalidParameterError("No container specified");
    const text = await c.req.text();
    const config = text.trim() ? JSON.parse(text) : undefined;
    const { commitContainer } = await operations();
    const id = await commitContainer(engine, container, {
      repo: q("repo") || undefined, tag: q("tag") || undefined, comment: q("comment") || undefined, author: q("author") || undefined,
      changes: c.req.queries("changes") ?? [], pause: q("pause") === undefined ? true : bool(q("pause")), config,
    });
    return c.json({ Id: id }, 201);
  });

  app.post("/containers/prune", async (c) => c.json(await engine.prune(parseFilters(c.req.query("filters")))));

  app.get("/containers/:id/json", async (c) => c.json(await engine.inspect(c.req.param("id"))));

  app.post("/containers/:id/start", async (c) => {
    const r = await engine.start(c.req.param("id"));
    return c.body(null, r === "already" ? 304 : 204);
  });

  app.post("/containers/:id/stop", async (c) => {
    const t = c.req.query("t");
    const r = await engine.stop(c.req.param("id"), t !== undefined && t !== "" ? Number(t) : undefined, c.req.query("signal"));
    return c.body(null, r === "already" ? 304 : 204);
  });

  app.post("/containers/:id/restart", async (c) => {
    const t = c.req.query("t");
    const id = c.req.param("id");
    await engine.stop(id, t !== undefined && t !== "" ? Number(t) : undefined, c.req.query("signal"));
    await engine.start(id);
    return c.body(null, 204);
  });

  app.post("/containers/:id/kill", async (c) => {
    await engine.kill(c.req.param("id"), c.req.query("signal") || "SIGKILL");
    return c.body(null, 204);
  });

  app.post("/containers/:id/wait", async (c) => {
    const id = c.req.param("id");
    engine.find(id); // 404 before the 200 header goes out
    const abort = c.req.raw.signal;
    // Docker sends the header at once and the body when the container exits.
    return stream(c, async (s) => {
      const r = await engine.wait(id, c.req.query("condition") || "not-running", abort);
      await s.write(JSON.stringify(r) + "\n");
    });
  });

  app.post("/containers/:id/update", async (c) => {
    const body = await jsonBody(c.req.raw, { emptyIsObject: true });
    checkUpdateBody(body);
    const { updateContainer } = await operations();
    return c.json(updateContainer(engine, c.req.param("id"), body));
  });
  app.post("/containers/:id/pause", async (c) => {
    (await operations()).pauseContainer(engine, c.req.param("id"));
    return c.body(null, 204);
  });
  app.post("/containers/:id/unpause", async (c) => {
    (await operations()).unpauseContainer(engine, c.req.param("id"));
    return c.body(null, 204);
  });
  app.get("/containers/:id/top", async (c) => c.json(await (await operations()).containerTop(engine, c.req.param("id"), c.req.query("ps_args") ?? "")));
  app.get("/containers/:id/changes", async (c) => c.json((await operations()).containerDiff(engine, c.req.param("id"))));

  const vfs = () => engine.runtime.storageDriver === "vfs";
  // docker cp: the stat of a path travels base64-encoded in a header.
  const statHeader = (st: object) => Buffer.from(JSON.stringify(st)).toString("base64");
  const archivePathParam = (c: any): string => {
    const path = c.req.query("path");
    if (!path) throw new InvalidParameterError("path is required");
    return path;
  };
  // Hono answers HEAD with the GET handler (a HEAD-only route is never reached), so both live here;
  // HEAD must not open the tar stream, whose read view would stay mounted with nobody reading it.
  app.get("/containers/:id/archive", async (c) => {
    const rec = engine.find(c.req.param("id"));
    const asked = archivePathParam(c);
    const { archivePath, followForCp, statPath, streamFromReadView, withReadView } = await archive();
    // A symlink as the last component is sent as itself, unless the path ends in "/" or "/." (Docker's rule).
    const path = await followForCp(engine.mounts, rec, engine.paths(rec), asked, /\/\.?$/.test(asked), vfs());
    // A path in a bind or volume is read from its host directory, as Docker mounts them for cp.
    const mounted = engine.mounts.hostPathOf(rec.id, path);
    const st = await namingContainer(c.req.param("id"), () =>
      mounted ? statPath(mounted.source, mounted.rest, mounted.name) : withReadView(engine.paths(rec), (root) => statPath(root, path), vfs()));
    if (c.req.method === "HEAD") return c.body(null, 200, { "X-Docker-Container-Path-Stat": statHeader(st) });
    // Under --userns-remap the files' host owners go out as the container's (an idmapped copied root, vfs, keeps those on disk).
    const userns = containerUserns(engine.runtime, rec.hostConfig);
    const inRoot = ownersOnDisk(engine.runtime, rec.hostConfig);
    const tar = mounted
      ? archivePath(mounted.source, mounted.rest, mounted.name, userns)
      : streamFromReadView(engine.paths(rec), vfs(), (root) => archivePath(root, path, undefined, inRoot), inRoot);
    return c.body(tar, 200, { "Content-Type": "application/x-tar", "X-Docker-Container-Path-Stat": statHeader(st) });
  });
  app.put("/containers/:id/archive", async (c) => {
    const rec = engine.find(c.req.param("id"));
    const { extractInto, followForCp, withRoot } = await archive();
    const path = await followForCp(engine.mounts, rec, engine.paths(rec), archivePathParam(c), true, vfs());
    const mounted = engine.mounts.hostPathOf(rec.id, path);
    if (mounted?.readonly) throw new InvalidParameterError("mounted volume is marked read-only");
    if (!mounted && rec.hostConfig.ReadonlyRootfs) throw new InvalidParameterError("container rootfs is marked read-only");
    const body = c.req.raw.body;
    if (!body) throw new InvalidParameterError("no tar archive in the request body");
    // Under --userns-remap the tar's owners are the container's ids: written shifted into its range.
    const userns = containerUserns(engine.runtime, rec.hostConfig);
    await namingContainer(c.req.param("id"), async () => {
      if (mounted) await extractInto(mounted.source, mounted.rest, body, userns);
      // A copied root (vfs) keeps the image's own ids on disk, which an idmapped mount shifts (unless it was made chowned).
      else await withRoot(rec, engine.paths(rec), (root) => extractInto(root, path, body, ownersOnDisk(engine.runtime, rec.hostConfig)), vfs(), userns);
    });
    return c.body(null, 200);
  });
  app.get("/containers/:id/export", async (c) => {
    const rec = engine.find(c.req.param("id"));
    const { archivePath, streamFromReadView } = await archive();
    const userns = ownersOnDisk(engine.runtime, rec.hostConfig);
    const tar = streamFromReadView(engine.paths(rec), vfs(), (root) => archivePath(root, "/", undefined, userns), userns);
    engine.events.emit("container", "export", rec.id, { name: rec.name });
    return c.body(tar, 200, { "Content-Type": "application/x-tar" });
  });

  app.get("/containers/:id/stats", async (c) => {
    const rec = engine.find(c.req.param("id"));
    const streaming = c.req.query("stream") === undefined ? true : bool(c.req.query("stream"));
    const oneShot = bool(c.req.query("one-shot"));
    if (!engine.isRunning(rec.id)) {
      // Docker answers a stopped container with one sample of zeros.
      return c.json({ read: "0001-01-01T00:00:00Z", preread: "0001-01-01T00:00:00Z", name: `/${rec.name}`, id: rec.id, pids_stats: {}, cpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} }, precpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} }, memory_stats: {}, blkio_stats: {}, storage_stats: {}, num_procs: 0 });
    }
    const { sampleStats } = await stats();
    let prev = oneShot ? undefined : sampleStats(engine, rec);
    if (!streaming) {
      if (prev) await Bun.sleep(200);
      return c.json(sampleStats(engine, rec, prev && { read: prev.read, cpu: prev.cpu }).json);
    }
    return stream(c, async (s) => {
      while (!c.req.raw.signal.aborted && engine.isRunning(rec.id)) {
        await Bun.sleep(1000);
        const next = sampleStats(engine, rec, prev && { read: prev.read, cpu: prev.cpu });
        await s.write(JSON.stringify(next.json) + "\n");
        prev = next;
      }
    });
  });

  app.post("/containers/:id/resize", (c) => {
    engine.resize(c.req.param("id"), Number(c.req.query("h") ?? 0), Number(c.req.query("w") ?? 0));
    return c.body(null, 200);
  });

  app.delete("/containers/:id", async (c) => {
    await engine.remove(c.req.param("id"), { force: bool(c.req.query("force")), volumes: bool(c.req.query("v")) });
    return c.body(null, 204);
  });

  app.post("/containers/:id/rename", (c) => {
    const name = c.req.query("name");
    if (!name) throw new InvalidParameterError("Neither old nor new names may be empty");
    engine.rename(c.req.param("id"), name);
    return c.body(null, 204);
  });

  app.get("/containers/:id/logs", (c) => {
    const rec = engine.find(c.req.param("id"));
    if (logsDisabled(rec.hostConfig)) throw new NotImplementedError("configured logging driver does not support reading");
    const o = parseLogQuery((k) => c.req.query(k));
    if (!o.stdout && !o.stderr) throw new InvalidParameterError("Bad parameters: you must choose at least one stream");
    const tty = !!rec.config.Tty;
    c.header("Content-Type", tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
    const enc = new TextEncoder();
    // dockerd's order: timestamp, then the attributes and a space (a space alone when there are none), then the line.
    const details = o.details ? `${logAttributes(rec.config, rec.hostConfig)} ` : "";
    return stream(c, async (s) => {
      for await (const batch of readLogBatches(engine.logPath(rec), o, () => engine.isRunning(rec.id), c.req.raw.signal)) {
        const line = (r: LogRecord) => (o.timestamps ? `${r.time} ` : "") + details + r.log;
        // One write per batch of records.
        if (tty) await s.write(enc.encode(batch.map(line).join("")));
        else await s.write(Buffer.concat(batch.map((r) => frame(r.stream === "stdout" ? 1 : 2, enc.encode(line(r))))));
      }
    });
  });

  return app;
}

/** A path cp cannot find: dockerd's error ends with the container as the client named it. */
async function namingContainer<T>(ref: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    // The archive helper's errors come back as a status and a message.
    if (e instanceof BerthError && e.status === 404 && e.message.endsWith(" in container")) throw new NotFoundError(`${e.message} ${ref}`);
    throw e;
  }
}
