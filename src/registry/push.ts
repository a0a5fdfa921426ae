// `docker push` from the local store: config and layer blobs as stored (so
// digests are kept), skipped when the registry has them, mounted from
// another repository of the same registry when a local tag says it may be
// there, then the manifest: the stored one when it describes exactly these
// blobs, else a new one.
import { NotFoundError, SystemError } from "../errors.ts";
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";
import { manifestFor } from "../image/stored.ts";
import { familiarRepository, formatReference, normalizeReference, parseReference, type Reference } from "../image/reference.ts";
import type { RegistryClient } from "./client/index.ts";
import { forEachLimited } from "../image/write/limits.ts";
import { shortId, throttled, type RegistryProgressSink } from "./progress.ts";

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
    const m = await manifestFor(store, id, "push");
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
      if (digest !== m.digest) throw new SystemError("internal error: manifest digest changed");
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
