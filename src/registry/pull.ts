// `docker pull` into the local store: resolve the reference (mirrors first),
// pick the platform from an index, fetch the config, then fetch the layers
// a few at a time, each one streamed once: the bytes go into the blob ingest
// and into the layer applier together (no second read, no temp copy). The
// image is recorded in one transaction at the end; on failure or abort the
// write session removes every blob and snapshot the pull created.
import { InvalidDataError } from "../errors.ts";
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";
import type { ImageRecord, LayerRecord } from "../store/image-records.ts";
import { withWriteSession, type WriteSession } from "../image/session.ts";
import { parseManifest, type Descriptor, type ImageManifest } from "../image/manifest.ts";
import { chainIds, parseImageConfig } from "../image/config.ts";
import { formatPlatform, hostPlatform, parsePlatform, platformMatches, type Platform } from "../image/platform.ts";
import { familiarString, formatReference, normalizeReference, repositoryName, type Reference } from "../image/reference.ts";
import type { RegistryClient } from "./client/index.ts";
import type { RemoteRepository } from "./client/repository.ts";
import { forEachLimited, Limiter, shortId, throttled, type RegistryProgressSink } from "./progress.ts";
import { GrowingFile } from "./growing-file.ts";

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
/** Layers unpacking at once in one pull (each on its own worker thread in the daemon). */
const APPLY_LIMIT = 6;

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
  checkPlatform(check, { os: config.os, architecture: config.architecture, variant: typeof config.variant === "string" ? config.variant : undefined });
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new InvalidDataError(`invalid image ${cfgDesc.digest}: the manifest lists ${manifest.layers.length} layers but the config has ${diffIds.length} diff IDs`);
  }
  const chains = chainIds(diffIds);
  const layers: LayerRecord[] = [];

  for (const l of manifest.layers) progress?.({ id: shortId(l.digest), status: "Pulling fs layer" });
  manifest.layers.forEach((l, i) => i >= concurrency && progress?.({ id: shortId(l.digest), status: "Waiting" }));
  const abort = new AbortController();
  signal.addEventListener("abort", () => abort.abort(signal.reason), { once: true });
  // Downloads hold the `concurrency` slots; unpacking follows each download through its file and
  // may outlast it, up to APPLY_LIMIT layers at once.
  const unpacking = new Limiter(APPLY_LIMIT);
  const applies: Promise<void>[] = [];
  const files: GrowingFile[] = [];
  let rootCause: unknown;
  const fail = (e: unknown) => {
    rootCause ??= e;
    abort.abort(e);
    for (const f of files) f.fail(e);
  };
  try {
    await forEachLimited(manifest.layers, concurrency, async (l, i) => {
      const layer = { chainId: chains[i]!, diffId: diffIds[i]!, parentChainId: i === 0 ? null : chains[i - 1]! };
      const blob = { digest: l.digest, mediaType: l.mediaType, size: l.size };
      const id = shortId(l.digest);
      layers[i] = { ...layer, blob };
      if (store.snapshots.isReady(layer.chainId)) {
        if (store.blobs.has(l.digest)) session.leaseBlob(l.digest);
        else delete layers[i]!.blob;
        await session.prepareLayer(layer, undefined);
        progress?.({ id, status: "Already exists" });
        return;
      }
      if (store.blobs.has(l.digest)) {
        session.leaseBlob(l.digest);
        progress?.({ id, status: "Extracting", progressDetail: { current: 0, total: l.size } });
        await session.prepareLayer(layer, l.digest);
        progress?.({ id, status: "Pull complete" });
        return;
      }
      await unpacking.acquire();
      let applied: Promise<void>;
      try {
        ({ applied } = await downloadLayer(session, repo, l, layer, id, progress, abort.signal, files, fail));
      } catch (e) {
        unpacking.release();
        throw e;
      }
      applies.push(applied.then(() => progress?.({ id, status: "Pull complete" })).finally(() => unpacking.release()));
    }, abort);
    await Promise.all(applies);
  } catch (e) {
    fail(e);
    // Nothing may still be writing when the session removes what this pull made.
    await Promise.allSettled(applies);
    throw rootCause;
  }

  const platform = desc?.platform;
  return {
    id: cfgDesc.digest,
    configSize: cfgDesc.size,
    created: typeof config.created === "string" ? config.created : "",
    os: config.os,
    architecture: config.architecture,
    variant: typeof config.variant === "string" ? config.variant : undefined,
    layers,
    manifests: [{
      digest: manifestDigest,
      mediaType: desc?.mediaType ?? manifest.mediaType ?? topMediaType,
      size: manifestBytes.byteLength,
      os: platform?.os ?? config.os,
      architecture: platform?.architecture ?? config.architecture,
      variant: platform?.variant ?? (typeof config.variant === "string" ? config.variant : undefined),
    }],
  };
}

/**
 * Downloads one layer into the blob store while the applier follows the
 * file; resolves when the download is verified, with a promise for the
 * unpacking (an unpacking failure also goes to `fail` at once, to stop the
 * other downloads).
 */
async function downloadLayer(
  session: WriteSession,
  repo: RemoteRepository,
  l: Descriptor,
  layer: { chainId: Digest; diffId: Digest; parentChainId: Digest | null },
  id: string,
  progress: RegistryProgressSink | undefined,
  signal: AbortSignal,
  files: GrowingFile[],
  fail: (e: unknown) => void,
): Promise<{ applied: Promise<void> }> {
  // readBlob checks the digest before its last chunk is handed over, so before the commit below.
  const writer = await session.writer({ expected: l.digest, size: l.size, checkedByCaller: true });
  let file: GrowingFile;
  try {
    file = await GrowingFile.open(writer.tempPath);
  } catch (e) {
    await writer.abort();
    throw e;
  }
  files.push(file);
  // The download checks the digest (the unpacking fails with it if it does not match), so the applier need not.
  const applied = session.prepareFromContent(layer.parentChainId, file.read(), l.digest).then((r) => {
    if (r.diffId !== layer.diffId || r.chainId !== layer.chainId) {
      throw new InvalidDataError(`layer content does not match the image config: expected diff ID ${layer.diffId}, got ${r.diffId}`);
    }
  });
  applied.catch(fail).finally(() => file.dispose());
  try {
    // The source ends normally only after its digest check passed.
    for await (const chunk of repo.blob(l, { signal, onProgress: throttled(progress, id, "Downloading") })) {
      await writer.write(chunk);
      file.grew(chunk.byteLength);
    }
    progress?.({ id, status: "Verifying Checksum" });
    await writer.commit();
  } catch (e) {
    file.fail(e);
    await writer.abort();
    await applied.catch(() => {});
    throw e;
  }
  file.finish();
  progress?.({ id, status: "Download complete" });
  progress?.({ id, status: "Extracting", progressDetail: { current: l.size, total: l.size } });
  // Wrapped: an async function returning the promise itself would wait for it.
  return { applied };
}
