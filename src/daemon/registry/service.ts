// The daemon's side of registries: pull, push, login, distribution inspect and
// search, each with a client built for the request from the daemon's config
// (insecure registries, mirrors) and the request's X-Registry-Auth.
import { InvalidParameterError, NotFoundError } from "../../errors.ts";
import type { Store } from "../../store/index.ts";
import type { DaemonConfig } from "../../shared/daemon-config.ts";
import { familiarRepository, parseReference, repositoryName, type Reference } from "../../image/reference.ts";
import { parseManifest } from "../../image/manifest.ts";
import { parseImageConfig } from "../../image/config.ts";
import { RegistryClient, RegistryError } from "../../registry/client/index.ts";
import { pullImage, type PullResult } from "../../registry/pull.ts";
import { pushImage, type PushResult } from "../../registry/push.ts";
import type { RegistryProgressSink } from "../../registry/progress.ts";
import { version } from "../../version.ts";
import { credentialsOf, loginDomain, type AuthConfig } from "./auth-header.ts";
import { searchRegistry, type SearchResult } from "./search.ts";

const MAX_CONFIG_SIZE = 8 << 20;

export interface TransferOptions {
  auth?: AuthConfig;
  onProgress?: RegistryProgressSink;
  signal?: AbortSignal;
}

export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: { architecture: string; os: string; variant?: string; "os.version"?: string; "os.features"?: string[] }[];
}

/**
 * A registry's 401 is not the Engine API's: answering 401 would make the
 * docker CLI prompt for a login, so dockerd reports it as a 500 with the
 * registry's words, and so does berth.
 */
async function registryCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RegistryError && e.status === 401) throw new RegistryError(e.message, e.code, e.httpStatus, e.reason, 500);
    throw e;
  }
}

export class RegistryService {
  constructor(readonly store: Store, readonly config: DaemonConfig) {}

  /** A client for one request: the daemon's endpoints, the request's credentials. */
  client(auth: AuthConfig | undefined): RegistryClient {
    const creds = credentialsOf(auth);
    return new RegistryClient({
      insecureRegistries: this.config.insecureRegistries,
      mirrors: this.config.registryMirrors,
      certsDirs: this.config.certsDirs,
      credentials: () => creds,
      userAgent: `berth/${version}`,
    });
  }

  /** `docker pull`: one reference, or every tag of a repository when no tag was named. */
  pull(ref: Reference, allTags: boolean, opts: TransferOptions & { platform?: string } = {}): Promise<PullResult[]> {
    return registryCall(() => this.pullAll(ref, allTags, opts));
  }

  private async pullAll(ref: Reference, allTags: boolean, opts: TransferOptions & { platform?: string }): Promise<PullResult[]> {
    const client = this.client(opts.auth);
    const common = { platform: opts.platform || undefined, onProgress: opts.onProgress, signal: opts.signal, concurrency: this.config.maxConcurrentDownloads };
    if (!allTags) return [await pullImage(this.store, client, ref, common)];
    const tags = await client.repository(ref, "pull").tags();
    if (tags.length === 0) throw new NotFoundError(`repository ${familiarRepository(ref)} has no tags`);
    const out: PullResult[] = [];
    for (const tag of tags.sort()) out.push(await pullImage(this.store, client, { ...ref, tag }, common));
    opts.onProgress?.({ status: `Status: Downloaded newer image for ${familiarRepository(ref)}` });
    return out;
  }

  /** `docker push`: the tag named, or every local tag of the repository. */
  push(name: string, tag: string | undefined, opts: TransferOptions = {}): Promise<PushResult[]> {
    return registryCall(() => this.pushAll(name, tag, opts));
  }

  private async pushAll(name: string, tag: string | undefined, opts: TransferOptions): Promise<PushResult[]> {
    const base = parseReference(name);
    if (base.digest) throw new InvalidParameterError("cannot push a digest reference");
    const client = this.client(opts.auth);
    const push = (ref: Reference) => pushImage(this.store, client, ref, { onProgress: opts.onProgress, signal: opts.signal, concurrency: this.config.maxConcurrentUploads });
    const wanted = tag || base.tag;
    if (wanted) return [await push({ ...base, tag: wanted })];
    const prefix = `${repositoryName(base)}:`;
    const tags = this.store.images.allRefs().filter((r) => r.kind === "tag" && r.name.startsWith(prefix)).map((r) => r.name.slice(prefix.length));
    if (tags.length === 0) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarRepository(base)}`);
    const out: PushResult[] = [];
    for (const t of tags.sort()) out.push(await push({ ...base, tag: t }));
    return out;
  }

  /** POST /auth: checks the credentials against the registry; stores nothing. */
  async login(auth: AuthConfig): Promise<{ Status: string; IdentityToken?: string }> {
    if (!auth.username && !auth.identitytoken) throw new InvalidParameterError("Username is required");
    const domain = loginDomain(auth.serveraddress);
    const result = await this.client(undefined).login(domain, { username: auth.username ?? "", password: auth.password ?? auth.identitytoken ?? "" });
    return { Status: result.status, ...(result.identityToken ? { IdentityToken: result.identityToken } : {}) };
  }

  /** GET /distribution/{name}/json: the descriptor a reference resolves to and its platforms. */
  inspect(name: string, auth?: AuthConfig, signal?: AbortSignal): Promise<DistributionInspect> {
    return registryCall(() => this.inspectRemote(name, auth, signal));
  }

  private async inspectRemote(name: string, auth?: AuthConfig, signal?: AbortSignal): Promise<DistributionInspect> {
    const client = this.client(auth);
    const { repository, manifest } = await client.resolve(name, { signal });
    const descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.byteLength };
    const parsed = parseManifest(manifest.bytes, manifest.mediaType);
    if (parsed.kind === "index") {
      const platforms = parsed.index.manifests.flatMap((m) => (m.platform ? [m.platform as DistributionInspect["Platforms"][number]] : []));
      return { Descriptor: descriptor, Platforms: platforms };
    }
    // A single manifest names its platform only in the config.
    const cfgDesc = parsed.manifest.config;
    if (cfgDesc.size > MAX_CONFIG_SIZE) throw new InvalidParameterError(`image config ${cfgDesc.digest} is larger than ${MAX_CONFIG_SIZE} bytes`);
    const chunks: Uint8Array[] = [];
    for await (const c of repository.blob(cfgDesc, { signal })) chunks.push(c);
    const cfg = parseImageConfig(Buffer.concat(chunks));
    const p: DistributionInspect["Platforms"][number] = { architecture: cfg.architecture, os: cfg.os };
    if (typeof cfg.variant === "string" && cfg.variant) p.variant = cfg.variant;
    return { Descriptor: descriptor, Platforms: [p] };
  }

  async search(term: string, limit: number, auth?: AuthConfig, signal?: AbortSignal): Promise<SearchResult[]> {
    return registryCall(() => searchRegistry(this.client(auth), term, limit, this.config.insecureRegistries, signal));
  }
}

