// Blob uploads: POST (monolithic, session start, cross-repo mount), PATCH
// (chunks), PUT (finish), GET (status), DELETE (cancel).
import { RegistryHttpError } from "../errors.ts";
import { checkDigestParam, checkName } from "../names.ts";
import { bodyChunks, reply, type RouteContext } from "./context.ts";
import { discard } from "../../../shared/discard.ts";

function uploadHeaders(name: string, id: string, size: number): Record<string, string> {
  return {
    Location: `/v2/${name}/blobs/uploads/${id}`,
    Range: `0-${Math.max(size - 1, 0)}`,
    "Docker-Upload-UUID": id,
  };
}

function created(name: string, digest: string): Response {
  return reply(201, { Location: `/v2/${name}/blobs/${digest}`, "Docker-Content-Digest": digest });
}

/** Content-Range of a chunk: "a-b" (the spec) or "bytes a-b/*" (some clients). */
function parseContentRange(h: string | null): { start: number; end: number } | undefined {
  if (!h) return undefined;
  const m = /^(?:bytes )?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(h.trim());
  if (!m || Number(m[2]) < Number(m[1])) {
    throw new RegistryHttpError("RANGE_INVALID", "invalid Content-Range", { contentRange: h }, 416);
  }
  return { start: Number(m[1]), end: Number(m[2]) };
}

export async function postUpload(ctx: RouteContext): Promise<Response> {
  const { storage, name, url, req } = ctx;
  const mount = url.searchParams.get("mount");
  const from = url.searchParams.get("from");
  if (mount !== null && from !== null) {
    const digest = checkDigestParam(mount);
    let fromName: string | undefined;
    try {
      fromName = checkName(from);
    } catch {
      fromName = undefined;
    }
    if (fromName && storage.repos.hasBlob(fromName, digest)) {
      await storage.repos.linkBlob(name, digest);
      await discard(req.body);
      return created(name, digest);
    }
    // Not mountable: fall through to an ordinary upload session, as the spec says.
  }
  const digestParam = url.searchParams.get("digest");
  if (digestParam !== null && mount === null) {
    const digest = checkDigestParam(digestParam);
    const body = bodyChunks(req) ?? new Uint8Array(0);
    await storage.blobs.put(body, digest);
    await storage.repos.linkBlob(name, digest);
    return created(name, digest);
  }
  await discard(req.body);
  const id = await storage.uploads.start(name);
  return reply(202, uploadHeaders(name, id, 0));
}

export async function patchUpload(ctx: RouteContext, id: string): Promise<Response> {
  const { storage, name, req } = ctx;
  const range = parseContentRange(req.headers.get("content-range"));
  try {
    const size = await storage.uploads.append(name, id, bodyChunks(req), range);
    return reply(202, uploadHeaders(name, id, size));
  } catch (e) {
    if (e instanceof RegistryHttpError && e.status === 416) e.headers.Location = `/v2/${name}/blobs/uploads/${id}`;
    throw e;
  }
}

export async function putUpload(ctx: RouteContext, id: string): Promise<Response> {
  const { storage, name, req, url } = ctx;
  const digest = checkDigestParam(url.searchParams.get("digest"));
  const range = parseContentRange(req.headers.get("content-range"));
  const length = req.headers.get("content-length");
  const hasBody = req.body !== null && length !== "0";
  if (hasBody || range) await storage.uploads.append(name, id, bodyChunks(req), range);
  else await storage.uploads.size(name, id);
  await storage.uploads.finish(name, id, digest);
  return created(name, digest);
}

export async function getUpload(ctx: RouteContext, id: string): Promise<Response> {
  const size = await ctx.storage.uploads.size(ctx.name, id);
  return reply(204, uploadHeaders(ctx.name, id, size));
}

export async function deleteUpload(ctx: RouteContext, id: string): Promise<Response> {
  await ctx.storage.uploads.cancel(ctx.name, id);
  return reply(204);
}
