// One repository on one registry endpoint: manifests, tags, referrers, and
// (in blob-read.ts / blob-write.ts) blobs.
import { InvalidDataError } from "../../errors.ts";
import { MediaType } from "../../image/media-types.ts";
import { MAX_MANIFEST_SIZE } from "../../image/manifest.ts";
import { errorFromResponse, RegistryError } from "./errors.ts";
import { pullScope, pushScope } from "./auth.ts";
import type { Endpoint } from "./endpoints.ts";
import type { RegistryTransport } from "./transport.ts";
import { readBlob, type ReadBlobOptions } from "./blob-read.ts";
import { uploadBlob, type UploadBlobOptions, type UploadResult } from "./blob-write.ts";
import { discard } from "../../shared/discard.ts";

/** What we ask registries for, best first; schema 1 is not asked for and refused when sent. */
export const MANIFEST_ACCEPT = [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest];

export const SCHEMA1_MESSAGE =
  "unsupported manifest format: Docker Image manifest version 2, schema 1 is no longer supported; the image must be rebuilt or pushed with a newer tool";

export interface FetchedManifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: `sha256:${string}`;
}

export interface ManifestInfo {
  mediaType: string;
  digest: `sha256:${string}`;
  size: number;
}

export interface BlobDescriptor {
  digest: string;
  size: number;
}

function sha256(bytes: Uint8Array): `sha256:${string}` {
  return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
}

function isDigest(ref: string): boolean {
  return ref.startsWith("sha256:");
}

function mediaTypeOf(res: Response, bytes?: Uint8Array): string {
  let t = res.headers.get("content-type")?.split(";")[0]!.trim() ?? "";
  if ((!t || t === "application/json" || t === "text/plain" || t === "application/octet-stream") && bytes) {
    try {
      const doc = JSON.parse(new TextDecoder().decode(bytes));
      t = typeof doc.mediaType === "string" ? doc.mediaType : doc.schemaVersion === 1 ? MediaType.DockerSchema1 : Array.isArray(doc.manifests) ? MediaType.OciIndex : MediaType.OciManifest;
    } catch {
      /* left as sent */
    }
  }
  return t;
}

async function readCapped(res: Response, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    await discard(res.body);
    throw new InvalidDataError(`${what} too large: ${declared} bytes (limit ${limit})`);
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw new InvalidDataError(`${what} too large: more than ${limit} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

export class RemoteRepository {
  constructor(
    readonly transport: RegistryTransport,
    readonly endpoint: Endpoint,
    readonly name: string,
    /** For a mirror: the origin, where blobs the mirror fails to serve are fetched. */
    readonly origin?: Endpoint,
  ) {}

  private path(kind: string, ref: string): string {
    return `/v2/${this.name}/${kind}/${ref}`;
  }

  /**
   * GET a manifest or index by tag or digest. By digest the bytes must hash to
   * it; by tag they must match Docker-Content-Digest when the registry sends it.
   */
  async getManifest(reference: string, opts: { signal?: AbortSignal; accept?: string[] } = {}): Promise<FetchedManifest> {
    const { res, url } = await this.transport.ok(this.endpoint, {
      method: "GET",
      path: this.path("manifests", reference),
      scopes: [pullScope(this.name)],
      headers: { Accept: (opts.accept ?? MANIFEST_ACCEPT).join(", ") },
      signal: opts.signal,
    });
    const bytes = await readCapped(res, MAX_MANIFEST_SIZE, "manifest");
    const mediaType = mediaTypeOf(res, bytes);
    if (mediaType === MediaType.DockerSchema1 || mediaType === MediaType.DockerSchema1Signed) throw new InvalidDataError(SCHEMA1_MESSAGE);
    const digest = sha256(bytes);
    if (isDigest(reference) && digest !== reference) {
      throw new InvalidDataError(`manifest verification failed for digest ${reference}: digest mismatch (got ${digest}) from ${url}`);
    }
    const header = res.headers.get("docker-content-digest");
    if (!isDigest(reference) && header && header.startsWith("sha256:") && header !== digest) {
      throw new InvalidDataError(`manifest digest mismatch: registry says ${header}, content is ${digest}`);
    }
    return { bytes, mediaType, digest };
  }

  /** HEAD a manifest: undefined when unknown (404). */
  async headManifest(reference: string, opts: { signal?: AbortSignal } = {}): Promise<ManifestInfo | undefined> {
    const { res, url } = await this.transport.request(this.endpoint, {
      method: "HEAD",
      path: this.path("manifests", reference),
      scopes: [pullScope(this.name)],
      headers: { Accept: MANIFEST_ACCEPT.join(", ") },
      signal: opts.signal,
    });
    if (res.status === 404) return undefined;
    if (!res.ok) throw await errorFromResponse(res, "HEAD", url);
    const digest = res.headers.get("docker-content-digest");
    if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
    return { mediaType: mediaTypeOf(res), digest: digest as `sha256:${string}`, size: Number(res.headers.get("content-length") ?? 0) };
  }

  /** PUT a manifest under a tag or its digest; returns the digest. */
  async putManifest(reference: string, bytes: Uint8Array, mediaType: string, opts: { signal?: AbortSignal } = {}): Promise<`sha256:${string}`> {
    if (bytes.byteLength > MAX_MANIFEST_SIZE) throw new InvalidDataError(`manifest too large: ${bytes.byteLength} bytes`);
    const digest = sha256(bytes);
    const { res } = await this.transport.ok(this.endpoint, {
      method: "PUT",
      path: this.path("manifests", reference),
      scopes: [pushScope(this.name)],
      headers: { "Content-Type": mediaType },
      body: bytes,
      signal: opts.signal,
    });
    await discard(res.body);
    const echoed = res.headers.get("docker-content-digest");
    if (echoed && echoed.startsWith("sha256:") && echoed !== digest) {
      throw new RegistryError(`registry stored the manifest as ${echoed}, expected ${digest}`, undefined, res.status);
    }
    return digest;
  }

  async deleteManifest(reference: string): Promise<void> {
    const { res } = await this.transport.ok(this.endpoint, { method: "DELETE", path: this.path("manifests", reference), scopes: [`repository:${this.name}:delete`] });
    await discard(res.body);
  }

  /** All tags, following Link pagination. */
  async tags(opts: { pageSize?: number } = {}): Promise<string[]> {
    const out: string[] = [];
    let path: string | undefined = this.path("tags", "list") + (opts.pageSize ? `?n=${opts.pageSize}` : "");
    for (let pages = 0; path && pages < 10_000; pages++) {
      const { res, url } = await this.transport.ok(this.endpoint, { method: "GET", path, scopes: [pullScope(this.name)] });
      const body = (await res.json()) as { tags?: unknown };
      if (Array.isArray(body.tags)) out.push(...body.tags.filter((t): t is string => typeof t === "string"));
      const link = res.headers.get("link");
      const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
      path = m ? new URL(m[1]!, url).href : undefined;
    }
    return out;
  }

  /** OCI 1.1 referrers of a manifest (an index of descriptors). */
  async referrers(digest: string, artifactType?: string): Promise<{ mediaType: string; digest: string; size: number; artifactType?: string }[]> {
    const q = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : "";
    const { res } = await this.transport.ok(this.endpoint, { method: "GET", path: this.path("referrers", digest) + q, scopes: [pullScope(this.name)] });
    const bytes = await readCapped(res, MAX_MANIFEST_SIZE, "referrers index");
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as { manifests?: unknown };
    const list = Array.isArray(doc.manifests) ? doc.manifests : [];
    return artifactType ? list.filter((m: any) => m?.artifactType === artifactType) : list;
  }

  /** The blob's bytes, verified against `desc` (digest and size), resumed with Range after transient failures. */
  blob(desc: BlobDescriptor, opts: ReadBlobOptions = {}): AsyncGenerator<Uint8Array> {
    return readBlob(this.transport, this.endpoint, this.name, desc, { fallback: this.origin, ...opts });
  }

  /** Size of a blob the registry has in this repository, or undefined. */
  async blobSize(digest: string, opts: { signal?: AbortSignal; push?: boolean } = {}): Promise<number | undefined> {
    const { res, url } = await this.transport.request(this.endpoint, {
      method: "HEAD",
      path: this.path("blobs", digest),
      scopes: [opts.push ? pushScope(this.name) : pullScope(this.name)],
      signal: opts.signal,
    });
    if (res.status === 404) return undefined;
    if (!res.ok) throw await errorFromResponse(res, "HEAD", url);
    return Number(res.headers.get("content-length") ?? NaN);
  }

  /** Pushes one blob: skipped when present, mounted when possible, else uploaded. */
  uploadBlob(desc: BlobDescriptor, data: Blob | Uint8Array, opts: UploadBlobOptions = {}): Promise<UploadResult> {
    return uploadBlob(this, desc, data, opts);
  }
}
