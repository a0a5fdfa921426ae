// Blob push: HEAD (already there?), cross-repository mount, then one
// monolithic PUT, or PATCH chunks with Content-Range and a closing PUT.
import { pullScope, pushScope } from "./auth.ts";
import { RegistryError } from "./errors.ts";
import type { RemoteRepository } from "./repository.ts";
import { discard } from "../../shared/discard.ts";

export interface UploadBlobOptions {
  /** Repositories on the same registry that may hold the blob (cross-repo mount). */
  mountFrom?: string[];
  /** Upload in PATCH chunks of this many bytes (default: one PUT). */
  chunkSize?: number;
  signal?: AbortSignal;
  onProgress?: (current: number, total: number) => void;
}

export type UploadResult = "exists" | "mounted" | "uploaded";

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set("digest", digest);
  return u.href;
}

function nextLocation(res: Response, base: string): string {
  const loc = res.headers.get("location");
  if (!loc) throw new RegistryError("registry did not return an upload location", undefined, res.status);
  return new URL(loc, base).href;
}

export async function uploadBlob(repo: RemoteRepository, desc: { digest: string; size: number }, data: Blob | Uint8Array, opts: UploadBlobOptions = {}): Promise<UploadResult> {
  const { transport, endpoint: ep, name } = repo;
  const signal = opts.signal;
  const body = data instanceof Blob ? data : new Blob([data as Uint8Array<ArrayBuffer>]);
  if (body.size !== desc.size) throw new RegistryError(`blob ${desc.digest}: have ${body.size} bytes, descriptor says ${desc.size}`, undefined, 0);
  if ((await repo.blobSize(desc.digest, { signal, push: true })) !== undefined) return "exists";

  let location: string | undefined;
  for (const from of opts.mountFrom ?? []) {
    if (from === name) continue;
    const q = `?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(from)}`;
    const { res, url } = await transport.ok(ep, { method: "POST", path: `/v2/${name}/blobs/uploads/${q}`, scopes: [pushScope(name), pullScope(from)], signal }, (s) => s === 201 || s === 202);
    await discard(res.body);
    if (res.status === 201) return "mounted";
    location = nextLocation(res, url);
    break;
  }
  if (!location) {
    const { res, url } = await transport.ok(ep, { method: "POST", path: `/v2/${name}/blobs/uploads/`, scopes: [pushScope(name)], signal, headers: { "Content-Length": "0" } }, (s) => s === 202 || s === 201);
    await discard(res.body);
    location = nextLocation(res, url);
  }

  const scopes = [pushScope(name)];
  if (opts.chunkSize && opts.chunkSize > 0 && body.size > opts.chunkSize) {
    for (let off = 0; off < body.size; off += opts.chunkSize) {
      const end = Math.min(off + opts.chunkSize, body.size);
      const { res, url } = await transport.ok(ep, {
        method: "PATCH",
        path: location,
        scopes,
        signal,
        body: body.slice(off, end),
        headers: { "Content-Type": "application/octet-stream", "Content-Range": `${off}-${end - 1}`, "Content-Length": String(end - off) },
      }, (s) => s === 202 || s === 204);
      await discard(res.body);
      location = nextLocation(res, url);
      opts.onProgress?.(end, body.size);
    }
    const { res } = await transport.ok(ep, { method: "PUT", path: withDigest(location, desc.digest), scopes, signal, headers: { "Content-Length": "0" } }, (s) => s === 201 || s === 204);
    await discard(res.body);
  } else {
    const { res } = await transport.ok(ep, {
      method: "PUT",
      path: withDigest(location, desc.digest),
      scopes,
      signal,
      body,
      headers: { "Content-Type": "application/octet-stream" },
    }, (s) => s === 201 || s === 204);
    await discard(res.body);
    opts.onProgress?.(body.size, body.size);
  }
  return "uploaded";
}
