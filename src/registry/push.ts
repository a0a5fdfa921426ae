// `docker push` from the local store: config and layer blobs as stored (so
// digests are kept), skipped when the registry has them, mounted from
// another repository of the same registry when a local tag says it may be
// there, then the manifest: the stored one when it describes exactly these
// blobs, else a new one.
import { NotFoundError, SystemError } from "../errors.ts";
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";
import { MediaType } from "../image/media-types.ts";
import { familiarRepository, formatReference, normalizeReference, parseReference, type Reference } from "../image/reference.ts";
import type { RegistryClient } from "./client/index.ts";
import { forEachLimited, shortId, throttled, type RegistryProgressSink } from "./progress.ts";

export interface PushOptions {
  onProgress?: RegistryProgressSink;
  signal?: AbortSignal;
  /** Blobs uploaded at once (default 3). */
  concurrency?: number;
  /** Upload in PATCH chunks of this size (default: one PUT per blob). */
  chunkSize?: number;
}

export interface PushResult {
  /** Full normalised reference pushed ("127.0.0.1:5000/app:v1"). */
  reference: string;
  digest: Digest;
  size: number;
  mediaType: string;
  /** Docker's last line: "latest: digest: sha256:… size: 528". */
  status: string;
}

interface Blob_ {
  digest: Digest;
  size: number;
  mediaType: string;
}

const sha256 = (b: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}` as Digest;

/** The manifest to push: the stored one if all its blobs are here, else a new one over the stored blobs. */
async function manifestFor(store: Store, id: Digest): Promise<{ bytes: Uint8Array; mediaType: string; layers: Blob_[]; config: Blob_ }> {
  for (const m of store.images.manifestsOf(id)) {
    if (!store.blobs.has(m.digest)) continue;
    const bytes = await store.blobs.readBytes(m.digest);
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as { config?: Blob_; layers?: Blob_[] };
    if (doc.config?.digest !== id) continue;
    const layers = doc.layers ?? [];
    if (layers.every((l) => store.blobs.has(l.digest))) return { bytes, mediaType: m.media_type, layers, config: doc.config };
  }
  const image = store.images.get(id)!;
  const layers: Blob_[] = store.images.layersOf(id).map((l) => {
    const b = store.images.blobsOfLayer(l.diff_id).find((x) => store.blobs.has(x.digest));
    if (!b) throw new SystemError(`layer ${l.diff_id} of image ${id} has no stored blob; cannot push it`);
    return { digest: b.digest, size: b.size, mediaType: b.media_type };
  });
  const docker = layers.every((l) => l.mediaType.startsWith("application/vnd.docker."));
  const config = { mediaType: docker ? MediaType.DockerConfig : MediaType.OciConfig, digest: id, size: image.config_size };
  const mediaType = docker ? MediaType.DockerManifest : MediaType.OciManifest;
  const doc = { schemaVersion: 2, mediaType, config, layers };
  return { bytes: new TextEncoder().encode(JSON.stringify(doc)), mediaType, layers, config };
}

/** Other repositories on the same registry that tag this image (their blobs can be mounted). */
function mountSources(store: Store, id: Digest, ref: Reference): string[] {
  const out = new Set<string>();
  for (const r of store.images.refsOf(id)) {
    try {
      const other = parseReference(r.name);
      if (other.domain === ref.domain && other.path !== ref.path) out.add(other.path);
    } catch {
      /* unparsable stored name: skip */
    }
  }
  return [...out];
}

export async function pushImage(store: Store, client: RegistryClient, name: string | Reference, opts: PushOptions = {}): Promise<PushResult> {
  const ref = typeof name === "string" ? normalizeReference(name) : name;
  const progress = opts.onProgress;
  const full = formatReference(ref);
  const row = store.images.getRef(full);
  if (!row) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarRepository(ref)}`);
  const id = row.image_id;
  progress?.({ status: `The push refers to repository [${familiarRepository(ref)}]` });

  const releases = [store.leaseBlob(id)];
  try {
    const m = await manifestFor(store, id);
    for (const l of m.layers) releases.push(store.leaseBlob(l.digest));
    const repo = client.repository(ref, "push");
    const mountFrom = mountSources(store, id, ref);
    const layers = [...m.layers].reverse(); // Docker lists the top layer first
    for (const l of layers) progress?.({ id: shortId(l.digest), status: "Preparing" });

    const abort = new AbortController();
    const onOuter = () => abort.abort(opts.signal!.reason);
    opts.signal?.addEventListener("abort", onOuter, { once: true });
    try {
      await forEachLimited(layers, opts.concurrency ?? 3, async (l) => {
        const sid = shortId(l.digest);
        progress?.({ id: sid, status: "Waiting" });
        const result = await repo.uploadBlob(l, Bun.file(store.blobs.path(l.digest)), {
          mountFrom, chunkSize: opts.chunkSize, signal: abort.signal, onProgress: throttled(progress, sid, "Pushing"),
        });
        const status = result === "exists" ? "Layer already exists" : result === "mounted" ? `Mounted from ${mountFrom[0] ?? ref.path}` : "Pushed";
        progress?.({ id: sid, status });
      }, abort);
      await repo.uploadBlob(m.config, Bun.file(store.blobs.path(id)), { signal: abort.signal });
      const digest = await repo.putManifest(ref.digest ?? ref.tag ?? "latest", m.bytes, m.mediaType, { signal: abort.signal });
      if (digest !== sha256(m.bytes)) throw new SystemError("internal error: manifest digest changed");
      const status = `${ref.tag ?? "latest"}: digest: ${digest} size: ${m.bytes.byteLength}`;
      progress?.({ status });
      progress?.({ status: "", aux: { Tag: ref.tag ?? "latest", Digest: digest, Size: m.bytes.byteLength } });
      return { reference: full, digest, size: m.bytes.byteLength, mediaType: m.mediaType, status };
    } finally {
      opts.signal?.removeEventListener("abort", onOuter);
    }
  } finally {
    for (const r of releases) r();
  }
}
