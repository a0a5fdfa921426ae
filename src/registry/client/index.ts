// The OCI distribution client: references normalised as Docker does, mirrors
// for docker.io pulls, credentials from the docker CLI's config, and the
// per-repository operations of RemoteRepository.
import { parseReference, withDefaultTag, type Reference } from "../../image/reference.ts";
import { getCredentials, type Credentials } from "./credentials.ts";
import { endpointsFor, type Endpoint, type EndpointConfig } from "./endpoints.ts";
import { errorFromResponse, RegistryError, translatePullError } from "./errors.ts";
import { RegistryTransport } from "./transport.ts";
import { RemoteRepository, type FetchedManifest } from "./repository.ts";
import { parseChallenges } from "./challenge.ts";
import { discard } from "../../shared/discard.ts";

export { RemoteRepository, MANIFEST_ACCEPT, type FetchedManifest, type ManifestInfo, type BlobDescriptor } from "./repository.ts";
export { RegistryError, translatePullError } from "./errors.ts";
export { endpointsFor, isInsecureRegistry, isLoopbackHost, type Endpoint } from "./endpoints.ts";
export { getCredentials, storeCredentials, eraseCredentials, credentialKey, dockerConfigDir, readDockerConfig, DOCKER_HUB_KEY, type Credentials } from "./credentials.ts";
export type { UploadResult, UploadBlobOptions } from "./blob-write.ts";
export type { ReadBlobOptions } from "./blob-read.ts";

export interface RegistryClientOptions extends EndpointConfig {
  /**
   * Credentials per registry domain: a function, a fixed map (domain →
   * credentials), or by default the docker CLI's config.json in `dockerConfigDir`.
   */
  credentials?: ((domain: string) => Credentials | undefined | Promise<Credentials | undefined>) | Record<string, Credentials>;
  dockerConfigDir?: string;
  userAgent?: string;
  /** Extra CA certificates (PEM). */
  ca?: string | string[];
  /** Folders of per-host TLS material: <dir>/<host:port>/{*.crt, *.cert, *.key}. */
  certsDirs?: string[];
  retries?: number;
  retryDelayMs?: number;
}

export interface ResolvedManifest {
  repository: RemoteRepository;
  manifest: FetchedManifest;
  reference: Reference;
}

export class RegistryClient {
  readonly transport: RegistryTransport;

  constructor(readonly options: RegistryClientOptions = {}) {
    const c = options.credentials;
    const source =
      typeof c === "function" ? c : c ? (domain: string) => c[domain] : (domain: string) => getCredentials(domain, options.dockerConfigDir);
    this.transport = new RegistryTransport({
      credentials: source,
      userAgent: options.userAgent,
      ca: options.ca,
      certsDirs: options.certsDirs,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
    });
  }

  endpoints(domain: string, purpose: "pull" | "push"): Endpoint[] {
    return endpointsFor(domain, this.options, purpose);
  }

  /** The repository on its origin registry (push, or pulls without mirrors). */
  repository(ref: Reference | string, purpose: "pull" | "push" = "push"): RemoteRepository {
    const r = typeof ref === "string" ? parseReference(ref) : ref;
    const eps = this.endpoints(r.domain, purpose);
    return new RemoteRepository(this.transport, eps[eps.length - 1]!, r.path);
  }

  /**
   * Fetches the manifest (or index) a reference names: mirrors first for
   * docker.io, then the origin. Errors carry Docker's pull wording.
   */
  async resolve(input: Reference | string, opts: { signal?: AbortSignal } = {}): Promise<ResolvedManifest> {
    const ref = withDefaultTag(typeof input === "string" ? parseReference(input) : input);
    const target = ref.digest ?? ref.tag!;
    let lastMirrorError: unknown;
    const endpoints = this.endpoints(ref.domain, "pull");
    const origin = endpoints.at(-1)!;
    for (const ep of endpoints) {
      const repository = new RemoteRepository(this.transport, ep, ref.path, ep.mirror ? origin : undefined);
      try {
        return { repository, manifest: await repository.getManifest(target, opts), reference: ref };
      } catch (e) {
        if (ep.mirror && !opts.signal?.aborted) { lastMirrorError = e; continue; }
        throw translatePullError(e, ref);
      }
    }
    throw lastMirrorError;
  }

  /** GET /v2/ (the "ping"): checks the registry speaks distribution v2 and learns how it authenticates. */
  async ping(domain: string, opts: { signal?: AbortSignal } = {}): Promise<{ url: string; auth?: string }> {
    const ep = this.endpoints(domain, "push").at(-1)!;
    const { res, url } = await this.transport.request(ep, { method: "GET", path: "/v2/", scopes: [], signal: opts.signal });
    await discard(res.body);
    if (res.status !== 200 && res.status !== 401) throw await errorFromResponse(res, "GET", url);
    return { url, auth: parseChallenges(res.headers.get("www-authenticate") ?? "")[0]?.scheme };
  }

  /**
   * Checks credentials as `docker login` does: Basic against /v2/, or a token
   * from the Bearer realm. Returns Docker's status line (and an identity
   * token when the auth server issued a refresh token).
   */
  async login(domain: string, creds: { username: string; password: string }): Promise<{ status: string; identityToken?: string }> {
    const ep = this.endpoints(domain, "push").at(-1)!;
    const probe = new RegistryTransport({ credentials: () => undefined, ca: this.options.ca, certsDirs: this.options.certsDirs, retries: 0 });
    const { res, url } = await probe.send(ep, { method: "GET", path: "/v2/", scopes: [] });
    await discard(res.body);
    if (res.status === 200) return { status: "Login Succeeded" };
    if (res.status !== 401) throw await errorFromResponse(res, "GET", url);
    const challenges = parseChallenges(res.headers.get("www-authenticate") ?? "");
    const bearer = challenges.find((c) => c.scheme === "bearer" && c.params.realm);
    if (bearer) {
      try {
        await probe.auth.fetchToken(ep, bearer, [], { username: creds.username, password: creds.password }, creds.username);
      } catch (e) {
        const msg = e instanceof RegistryError ? e.reason : String((e as Error)?.message ?? e);
        throw new RegistryError(`Get "${url}": ${msg}`, e instanceof RegistryError ? e.code : undefined, 401, msg, 401);
      }
      return { status: "Login Succeeded" };
    }
    const basicAuth = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
    const second = await probe.send(ep, { method: "GET", path: "/v2/", scopes: [] }, { Authorization: basicAuth });
    await discard(second.res.body);
    if (second.res.ok) return { status: "Login Succeeded" };
    throw new RegistryError(
      `login attempt to ${second.url} failed with status: ${second.res.status} ${second.res.statusText || "Unauthorized"}`,
      "UNAUTHORIZED", second.res.status, undefined, 401);
  }
}
