// Tag lists, the catalog and OCI 1.1 referrers.
import { RegistryHttpError } from "../errors.ts";
import { checkDigestParam } from "../names.ts";
import { validateManifest, OCI_INDEX } from "../validate.ts";
import type { RegistryStorage } from "../storage/index.ts";
import { jsonReply, paginate, type RouteContext } from "./context.ts";

function badN(headers: Record<string, string>): void {
  if (headers["X-Invalid-N"]) throw new RegistryHttpError("PAGINATION_NUMBER_INVALID");
}

export async function listTags(ctx: RouteContext): Promise<Response> {
  const { storage, name, url } = ctx;
  if (!storage.repos.exists(name)) throw new RegistryHttpError("NAME_UNKNOWN", undefined, { name });
  const { items, headers } = paginate(await storage.repos.tags(name), url, `/v2/${name}/tags/list`);
  badN(headers);
  return jsonReply({ name, tags: items }, headers);
}

export function catalog(storage: RegistryStorage, url: URL): Response {
  const { items, headers } = paginate(storage.repos.list(), url, "/v2/_catalog");
  badN(headers);
  return jsonReply({ repositories: items }, headers);
}

export async function referrers(ctx: RouteContext, digestParam: string): Promise<Response> {
  const { storage, name, url } = ctx;
  const subject = checkDigestParam(digestParam);
  const filter = url.searchParams.get("artifactType");
  const manifests: Record<string, unknown>[] = [];
  for (const d of await storage.repos.manifests(name)) {
    const mediaType = await storage.repos.manifestType(name, d);
    if (!mediaType) continue;
    const file = Bun.file(storage.blobs.path(d));
    if (file.size > 4 << 20) continue;
    let m;
    try {
      m = validateManifest(await file.bytes(), mediaType);
    } catch {
      continue;
    }
    if (m.subject?.digest !== subject) continue;
    if (filter !== null && m.artifactType !== filter) continue;
    const desc: Record<string, unknown> = { mediaType: m.mediaType, digest: d, size: file.size };
    if (m.artifactType) desc.artifactType = m.artifactType;
    if (m.annotations) desc.annotations = m.annotations;
    manifests.push(desc);
  }
  const headers: Record<string, string> = { "Content-Type": OCI_INDEX };
  if (filter !== null) headers["OCI-Filters-Applied"] = "artifactType";
  return jsonReply({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }, headers);
}

/**
 * GET /v1/search?q=&n=: the registry search API Docker Hub speaks (the
 * distribution spec has none), answered from the catalog by substring, so
 * `docker search` works against a berth registry.
 */
export function search(storage: RegistryStorage, url: URL): Response {
  const q = (url.searchParams.get("q") ?? "").toLowerCase();
  const n = Math.min(100, Math.max(1, Number(url.searchParams.get("n")) || 25));
  const matches = storage.repos.list().filter((name) => name.toLowerCase().includes(q));
  const results = matches.slice(0, n).map((name) => ({ name, description: "", star_count: 0, is_official: false, is_automated: false }));
  return jsonReply({ num_results: matches.length, query: q, page: 1, page_size: n, results }, {});
}
