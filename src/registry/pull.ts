// `docker pull` into the local store: resolve the reference (mirrors first),
// pick the platform from an index, fetch the config, then hand the image
// (its layers read from the registry) to the store's one write path
// (image/write), which streams each layer once into the blob ingest and the
// layer applier together. The image is recorded in one transaction at the
// end; on failure or abort the write session removes every blob and snapshot
// the pull created.
import { InvalidDataError } from "../errors.ts";
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";
import type { ImageRecord } from "../store/image-records.ts";
import { uncompressed } from "../layer/compression.ts";
import { checkLayerCount, type Image, type Layer } from "../image/model.ts";
import { writeImage, type LayerEvent } from "../image/write/write-image.ts";
import { withWriteSession, type WriteSession } from "../image/session.ts";
import { parseManifest, type Descriptor, type ImageManifest } from "../image/manifest.ts";
import { parseImageConfig } from "../image/config.ts";
import { formatPlatform, hostPlatform, parsePlatform, platformMatches, type Platform } from "../image/platform.ts";
import { familiarString, formatReference, normalizeReference, repositoryName, type Reference } from "../image/reference.ts";
import type { RegistryClient } from "./client/index.ts";
import type { RemoteRepository } from "./client/repository.ts";
import { shortId, throttled, type RegistryProgressSink } from "./progress.ts";

export interface PullOptions {
  /** "linux/arm64" or a Platform; default: the host's. */
  platform?: string | Platform;
  /** Layers fetched at once (default 3). */
  concurrency?: number;
  onProgress?: RegistryProgressSink;
  signal?: AbortSignal;
}

export interface PullResult {
  /** Image ID (the config digest). */
  id: Digest;
  /** Digest of what the reference resolved to (the index for multi-platform images). */
  digest: Digest;
  /** Full normalised reference pulled ("docker.io/library/busybox:latest"). */
  reference: string;
  /** Docker's last line: "Downloaded newer image for busybox:latest" / "Image is up to date for …". */
  status: string;
}

const MAX_CONFIG_SIZE = 8 << 20;

function selectPlatform(entries: Descriptor[], want: Platform): Descriptor {
  const match = entries.find((e) => platformMatches(want, e.platform) && e.mediaType !== "application/vnd.oci.image.index.v1+json");
  if (!match) throw new InvalidDataError(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
  return match;
}

async function resolveImageManifest(repo: RemoteRepository, bytes: Uint8Array, mediaType: string, platform: Platform, signal?: AbortSignal) {
  const top = parseManifest(bytes, mediaType);
  if (top.kind === "manifest") return { manifest: top.manifest, bytes, desc: undefined };
  const desc = selectPlatform(top.index.manifests, platform);
  const fetched = await repo.getManifest(desc.digest, { signal });
  const parsed = parseManifest(fetched.bytes, desc.mediaType);
  if (parsed.kind !== "manifest") throw new InvalidDataError(`${desc.digest} is an index, expected an image manifest`);
  return { manifest: parsed.manifest, bytes: fetched.bytes, desc };
}

/** `--platform` given for a single-platform image: it must match (Docker's check). */
function checkPlatform(check: { platform?: Platform; name: string }, actual: Platform): void {
  if (check.platform && !platformMatches(check.platform, actual)) {
    throw new InvalidDataError(
      `image with reference ${check.name} was found but does not match the specified platform: wanted ${formatPlatform(check.platform)}, actual: ${formatPlatform(actual)}`,
    );
  }
}

export async function pullImage(store: Store, client: RegistryClient, name: string | Reference, opts: PullOptions = {}): Promise<PullResult> {
  const ref = typeof name === "string" ? normalizeReference(name) : name;
  const platform = typeof opts.platform === "string" ? parsePlatform(opts.platform) : opts.platform ?? hostPlatform();
  const progress = opts.onProgress;
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(opts.signal!.reason);
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const signal = abort.signal;
  try {
    const { repository, manifest: top } = await client.resolve(ref, { signal });
    // Said only once the reference resolved, so the API can still answer a bad name with an HTTP error.
    progress?.({ id: ref.digest ?? ref.tag, status: `Pulling from ${ref.path}` });
    const { manifest, bytes, desc } = await resolveImageManifest(repository, top.bytes, top.mediaType, platform, signal);
    const manifestDigest = (desc?.digest ?? top.digest) as Digest;
    const id = manifest.config.digest;
    const tagName = ref.tag !== undefined ? formatReference({ domain: ref.domain, path: ref.path, tag: ref.tag }) : undefined;
    const digestName = `${repositoryName(ref)}@${top.digest}`;
    const refs = [
      ...(tagName ? [{ name: tagName, kind: "tag" as const, imageId: id }] : []),
      { name: digestName, kind: "digest" as const, imageId: id },
    ];
    const upToDate = store.images.getRef(tagName ?? digestName)?.image_id === id && store.images.layersOf(id).every((l) => store.snapshots.isReady(l.chain_id));

    const check = { platform: opts.platform !== undefined && !desc ? platform : undefined, name: familiarString(ref) };
    await withWriteSession(store, async (session) => {
      const existing = upToDate ? store.images.get(id) : undefined;
      if (existing) {
        checkPlatform(check, { os: existing.os, architecture: existing.architecture, variant: existing.variant || undefined });
        session.commit([], refs);
      } else {
        const record = await fetchImage(session, repository, manifest, bytes, manifestDigest, top.mediaType, desc, opts.concurrency ?? 3, progress, signal, check);
        session.commit([record], refs);
      }
    });
    progress?.({ status: `Digest: ${top.digest}` });
    const shown = familiarString(ref);
    const status = upToDate ? `Image is up to date for ${shown}` : `Downloaded newer image for ${shown}`;
    progress?.({ status: `Status: ${status}` });
    return { id, digest: top.digest as Digest, reference: formatReference(ref), status };
  } finally {
    opts.signal?.removeEventListener("abort", onOuterAbort);
  }
}

/** A registry as an image source: the manifest's layers, read from the repository as the store's write path asks. */
function remoteLayer(repo: RemoteRepository, l: Descriptor, progress: RegistryProgressSink | undefined): Layer {
  const compressed = (opts?: { signal?: AbortSignal; transient?: boolean }) =>
    repo.blob(l, { signal: opts?.signal, transient: opts?.transient, onProgress: throttled(progress, shortId(l.digest), "Downloading") });
  return {
    digest: l.digest,
    mediaType: l.mediaType,
    size: l.size,
    // The reader checks the digest before it hands over the last chunk.
    verifiedAsRead: true,
    compressed,
    uncompressed: (opts) => uncompressed(compressed(), opts),
  };
}

async function fetchImage(
  session: WriteSession,
  repo: RemoteRepository,
  manifest: ImageManifest,
  manifestBytes: Uint8Array,
  manifestDigest: Digest,
  topMediaType: string,
  desc: Descriptor | undefined,
  concurrency: number,
  progress: RegistryProgressSink | undefined,
  signal: AbortSignal,
  check: { platform?: Platform; name: string },
): Promise<ImageRecord> {
  const store = session.store;
  // The manifest is kept so that a later push sends the same bytes (same digest).
  await session.ingest(manifestBytes, { expected: manifestDigest, size: manifestBytes.byteLength });

  const cfgDesc = manifest.config;
  if (store.blobs.has(cfgDesc.digest)) session.leaseBlob(cfgDesc.digest);
  else await session.ingest(repo.blob(cfgDesc, { signal }), { expected: cfgDesc.digest, size: cfgDesc.size, maxSize: MAX_CONFIG_SIZE });
  const config = parseImageConfig(await store.blobs.readBytes(cfgDesc.digest, MAX_CONFIG_SIZE));
  const variant = typeof config.variant === "string" ? config.variant : undefined;
  checkPlatform(check, { os: config.os, architecture: config.architecture, variant });
  checkLayerCount(cfgDesc.digest, config, manifest.layers.length);

  for (const l of manifest.layers) progress?.({ id: shortId(l.digest), status: "Pulling fs layer" });
  manifest.layers.forEach((l, i) => i >= concurrency && progress?.({ id: shortId(l.digest), status: "Waiting" }));
  const platform = desc?.platform;
  const image: Image = {
    config,
    configBlob: { digest: cfgDesc.digest, size: cfgDesc.size },
    layers: manifest.layers.map((l) => remoteLayer(repo, l, progress)),
    manifest: {
      digest: manifestDigest,
      mediaType: desc?.mediaType ?? manifest.mediaType ?? topMediaType,
      size: manifestBytes.byteLength,
      os: platform?.os ?? config.os,
      architecture: platform?.architecture ?? config.architecture,
      variant: platform?.variant ?? variant,
    },
  };
  const onLayer = (_i: number, event: LayerEvent, layer: Layer) => {
    const id = shortId(layer.digest!);
    const size = layer.size!;
    if (event === "exists") progress?.({ id, status: "Already exists" });
    else if (event === "extracting") progress?.({ id, status: "Extracting", progressDetail: { current: 0, total: size } });
    else if (event === "verifying") progress?.({ id, status: "Verifying Checksum" });
    else if (event === "stored") {
      progress?.({ id, status: "Download complete" });
      progress?.({ id, status: "Extracting", progressDetail: { current: size, total: size } });
    } else progress?.({ id, status: "Pull complete" });
  };
  return writeImage(session, image, { concurrency, onLayer, signal });
}
