// GET/HEAD (with Range) and DELETE of blobs.
import { RegistryHttpError } from "../errors.ts";
import { checkDigestParam } from "../names.ts";
import { reply, type RouteContext } from "./context.ts";

/** "bytes=a-b", "bytes=a-", "bytes=-n" → inclusive [start, end]; undefined when absent. */
function parseRange(header: string | null, size: number): [number, number] | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const bad = () => new RegistryHttpError("RANGE_INVALID", "invalid range", { range: header }, 416, { "Content-Range": `bytes */${size}` });
  if (!m || (m[1] === "" && m[2] === "")) throw bad();
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(size - Number(m[2]), 0);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) throw bad();
  return [start, end];
}

export function getBlob(ctx: RouteContext, digestParam: string): Response {
  const digest = checkDigestParam(digestParam);
  const { storage, name, req } = ctx;
  if (!storage.repos.hasBlob(name, digest)) throw new RegistryHttpError("BLOB_UNKNOWN", undefined, { digest });
  const size = storage.blobs.size(digest);
  if (size === undefined) throw new RegistryHttpError("BLOB_UNKNOWN", undefined, { digest });
  const headers: Record<string, string> = {
    "Content-Type": "application/octet-stream",
    "Docker-Content-Digest": digest,
    "Accept-Ranges": "bytes",
    ETag: `"${digest}"`,
    "Cache-Control": "max-age=31536000",
  };
  const range = size > 0 ? parseRange(req.headers.get("range"), size) : undefined;
  const file = Bun.file(storage.blobs.path(digest));
  const head = req.method === "HEAD";
  if (range) {
    const [start, end] = range;
    headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    headers["Content-Length"] = String(end - start + 1);
    return reply(206, headers, head ? null : file.slice(start, end + 1));
  }
  headers["Content-Length"] = String(size);
  if (head || size === 0) return new Response(null, { status: 200, headers: { ...headers, "Docker-Distribution-API-Version": "registry/2.0" } });
  return reply(200, headers, file);
}

export async function deleteBlob(ctx: RouteContext, digestParam: string): Promise<Response> {
  const digest = checkDigestParam(digestParam);
  if (!(await ctx.storage.repos.unlinkBlob(ctx.name, digest))) throw new RegistryHttpError("BLOB_UNKNOWN", undefined, { digest });
  return reply(202, { "Docker-Content-Digest": digest });
}
