// Manifests by tag or digest: GET/HEAD/PUT/DELETE.
import { RegistryHttpError } from "../errors.ts";
import { checkDigestParam, checkTag, isDigestRef } from "../names.ts";
import { validateManifest } from "../validate.ts";
import type { Sha256Digest } from "../storage/index.ts";
import { readLimited, reply, type RouteContext } from "./context.ts";

export const MAX_MANIFEST_BYTES = 4 << 20;

async function resolve(ctx: RouteContext, ref: string): Promise<{ digest: Sha256Digest; mediaType: string }> {
  const { storage, name } = ctx;
  let digest: Sha256Digest | undefined;
  if (isDigestRef(ref)) digest = checkDigestParam(ref);
  else digest = await storage.repos.resolveTag(name, checkTag(ref));
  const mediaType = digest && (await storage.repos.manifestType(name, digest));
  if (!digest || !mediaType) {
    const detail = isDigestRef(ref) ? { Digest: ref } : { Tag: ref };
    throw new RegistryHttpError("MANIFEST_UNKNOWN", undefined, detail);
  }
  return { digest, mediaType };
}

export async function getManifest(ctx: RouteContext, ref: string): Promise<Response> {
  const { digest, mediaType } = await resolve(ctx, ref);
  const file = Bun.file(ctx.storage.blobs.path(digest));
  const headers = {
    "Content-Type": mediaType,
    "Docker-Content-Digest": digest,
    "Content-Length": String(file.size),
    ETag: `"${digest}"`,
  };
  return reply(200, headers, ctx.req.method === "HEAD" ? null : file);
}

export async function putManifest(ctx: RouteContext, ref: string): Promise<Response> {
  const { storage, name, req } = ctx;
  const byDigest = isDigestRef(ref);
  const wanted = byDigest ? checkDigestParam(ref) : undefined;
  if (!byDigest) checkTag(ref);
  const bytes = await readLimited(req, MAX_MANIFEST_BYTES, () =>
    new RegistryHttpError("SIZE_INVALID", `manifest larger than ${MAX_MANIFEST_BYTES} bytes`, null, 413),
  );
  const m = validateManifest(bytes, req.headers.get("content-type"));
  const digest = `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}` as Sha256Digest;
  if (wanted && wanted !== digest) throw new RegistryHttpError("DIGEST_INVALID", undefined, { expected: wanted, actual: digest });

  const missing: { digest: string }[] = [];
  for (const b of m.blobs) if (!storage.repos.hasBlob(name, b)) missing.push({ digest: b });
  for (const d of m.manifests) if (!(await storage.repos.manifestType(name, d))) missing.push({ digest: d });
  if (missing.length > 0) {
    throw new RegistryHttpError("MANIFEST_BLOB_UNKNOWN", `blob unknown to registry: ${missing[0]!.digest}`, missing[0]);
  }
  await storage.blobs.put(bytes, digest);
  await storage.repos.linkManifest(name, digest, m.mediaType);
  if (!byDigest) await storage.repos.setTag(name, ref, digest);
  const headers: Record<string, string> = { Location: `/v2/${name}/manifests/${digest}`, "Docker-Content-Digest": digest };
  if (m.subject) headers["OCI-Subject"] = m.subject.digest;
  return reply(201, headers);
}

export async function deleteManifest(ctx: RouteContext, ref: string): Promise<Response> {
  const { storage, name } = ctx;
  if (!isDigestRef(ref)) {
    if (!(await storage.repos.deleteTag(name, checkTag(ref)))) throw new RegistryHttpError("MANIFEST_UNKNOWN", undefined, { Tag: ref });
    return reply(202);
  }
  const digest = checkDigestParam(ref);
  if (!(await storage.repos.manifestType(name, digest))) throw new RegistryHttpError("MANIFEST_UNKNOWN", undefined, { Digest: ref });
  // Tags first: a crash in between leaves an untagged manifest, never a dangling tag.
  for (const t of await storage.repos.tagsOf(name, digest)) await storage.repos.deleteTag(name, t);
  await storage.repos.unlinkManifest(name, digest);
  return reply(202);
}
