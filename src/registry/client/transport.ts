// One HTTP exchange with a registry: scheme choice (HTTPS, or HTTP after a
// failed HTTPS attempt for insecure registries only), authentication on 401,
// redirects followed by hand (Authorization is not carried to other hosts,
// e.g. blob CDNs), and bounded retries with backoff for idempotent requests.
import { Authenticator, type CredentialSource } from "./auth.ts";
import { errorFromResponse, RegistryError, requestPrefix, transportError } from "./errors.ts";
import type { Endpoint } from "./endpoints.ts";
import { readHostTls, type HostTls } from "./host-certs.ts";
import { discard } from "../../shared/discard.ts";

export interface TransportOptions {
  credentials: CredentialSource;
  userAgent?: string;
  /** Extra CA certificates (PEM) for HTTPS registries. */
  ca?: string | string[];
  /** Folders of per-host TLS material (dockerd's certs.d layout). */
  certsDirs?: string[];
  /** Retries of idempotent requests on transient failures (default 4). */
  retries?: number;
  /** First backoff delay; doubled per attempt (default 200 ms). */
  retryDelayMs?: number;
}

export interface RegistryRequest {
  method: string;
  /** Path ("/v2/…") on the endpoint, or an absolute URL (upload locations). */
  path: string;
  scopes: string[];
  headers?: Record<string, string>;
  body?: Uint8Array | Blob | string | null;
  signal?: AbortSignal;
  /** Retry transient failures (default: for GET and HEAD). */
  retry?: boolean;
}

export interface RegistryResponse {
  res: Response;
  /** The URL the request was sent to (after the scheme was chosen). */
  url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(t); reject(signal.reason); }, { once: true });
  });
}

export class RegistryTransport {
  readonly auth: Authenticator;
  private schemes = new Map<string, "https" | "http">();
  readonly retries: number;
  readonly retryDelayMs: number;

  constructor(private opts: TransportOptions) {
    this.retries = opts.retries ?? 4;
    this.retryDelayMs = opts.retryDelayMs ?? 200;
    this.auth = new Authenticator(opts.credentials, (url, init) => this.rawFetch(url, init, init.insecure ?? false));
  }

  baseUrl(ep: Endpoint): string {
    return `${ep.scheme ?? this.schemes.get(ep.host) ?? "https"}://${ep.host}`;
  }

  private hostTls = new Map<string, HostTls | undefined>();

  /** TLS options for one host: the client's CAs plus that host's certs.d entry. */
  private tlsFor(url: string, insecure: boolean): Record<string, unknown> {
    const host = new URL(url).host;
    if (!this.hostTls.has(host)) this.hostTls.set(host, readHostTls(host, this.opts.certsDirs ?? []));
    const own = this.hostTls.get(host);
    const ca = [...[this.opts.ca ?? []].flat(), ...(own?.ca ?? [])];
    return {
      rejectUnauthorized: !insecure,
      ...(ca.length ? { ca } : {}),
      ...(own?.cert ? { cert: own.cert, key: own.key } : {}),
    };
  }

  private rawFetch(url: string, init: RequestInit, insecure: boolean): Promise<Response> {
    const headers = new Headers(init.headers);
    if (!headers.has("user-agent")) headers.set("User-Agent", this.opts.userAgent ?? "berth");
    return fetch(url, { ...init, headers, redirect: "manual", tls: this.tlsFor(url, insecure) } as RequestInit);
  }

  /** fetch + redirects; Authorization only goes to the origin it was made for. */
  private async fetchFollowing(url: string, init: RequestInit, ep: Endpoint): Promise<Response> {
    let current = url;
    let method = init.method ?? "GET";
    let body = init.body;
    let headers = new Headers(init.headers);
    for (let i = 0; i <= MAX_REDIRECTS; i++) {
      const res = await this.rawFetch(current, { ...init, method, body, headers }, ep.insecure);
      const loc = res.headers.get("location");
      if (!REDIRECTS.has(res.status) || !loc) return res;
      await discard(res.body);
      const next = new URL(loc, current);
      if (next.origin !== new URL(current).origin) {
        headers = new Headers(headers);
        headers.delete("authorization");
      }
      if (res.status === 303) { method = "GET"; body = undefined; }
      current = next.href;
    }
    throw new RegistryError(`${requestPrefix(method, url)}: stopped after ${MAX_REDIRECTS} redirects`, undefined, 0);
  }

  /** Sends once with the scheme this host uses; an insecure host falls back to HTTP after a failed HTTPS connection. */
  async send(ep: Endpoint, req: RegistryRequest, headers: Record<string, string> = {}): Promise<RegistryResponse> {
    const absolute = /^https?:\/\//.test(req.path);
    const url = absolute ? req.path : this.baseUrl(ep) + req.path;
    const init: RequestInit = { method: req.method, headers, body: req.body ?? undefined, signal: req.signal };
    try {
      const res = await this.fetchFollowing(url, init, ep);
      if (!absolute && !ep.scheme && !this.schemes.has(ep.host)) this.schemes.set(ep.host, url.startsWith("https:") ? "https" : "http");
      return { res, url };
    } catch (e) {
      if (req.signal?.aborted) throw e;
      const canFallBack = !absolute && !ep.scheme && ep.insecure && !this.schemes.has(ep.host) && url.startsWith("https:");
      if (!canFallBack) throw transportError(req.method, url, e);
      this.schemes.set(ep.host, "http");
      const httpUrl = this.baseUrl(ep) + req.path;
      try {
        return { res: await this.fetchFollowing(httpUrl, init, ep), url: httpUrl };
      } catch (e2) {
        this.schemes.delete(ep.host);
        throw transportError(req.method, httpUrl, e2);
      }
    }
  }

  /** Sends with authentication: on a 401 learn the challenge and try once more. */
  private async sendAuthenticated(ep: Endpoint, req: RegistryRequest): Promise<RegistryResponse> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...req.headers };
      // Credentials go to the registry only, never to another host named in a Location.
      const foreign = /^https?:\/\//.test(req.path) && new URL(req.path).host !== ep.host;
      try {
        const a = foreign ? undefined : await this.auth.header(ep, req.scopes);
        if (a) headers.Authorization = a;
      } catch (e) {
        const url = /^https?:\/\//.test(req.path) ? req.path : this.baseUrl(ep) + req.path;
        const msg = e instanceof RegistryError ? e.reason : (e as Error)?.message ?? String(e);
        throw new RegistryError(`${requestPrefix(req.method, url)}: ${msg}`, e instanceof RegistryError ? e.code : undefined,
          e instanceof RegistryError ? e.httpStatus : 0, msg);
      }
      const r = await this.send(ep, req, headers);
      if (r.res.status !== 401 || attempt > 0 || foreign) return r;
      const challenge = r.res.headers.get("www-authenticate");
      const sentBasic = headers.Authorization?.startsWith("Basic ");
      if (!this.auth.learn(ep, challenge, req.scopes) || (sentBasic && this.auth.challenge(ep)?.scheme === "basic")) return r;
      await discard(r.res.body);
    }
  }

  /** A request with auth, redirects and (for GET/HEAD) retries of transient failures. */
  async request(ep: Endpoint, req: RegistryRequest): Promise<RegistryResponse> {
    const retry = req.retry ?? (req.method === "GET" || req.method === "HEAD");
    for (let attempt = 0; ; attempt++) {
      let r: RegistryResponse;
      try {
        r = await this.sendAuthenticated(ep, req);
      } catch (e) {
        if (!retry || attempt >= this.retries || req.signal?.aborted || !(e instanceof RegistryError) || !e.transient) throw e;
        await sleep(this.retryDelayMs * 2 ** attempt, req.signal);
        continue;
      }
      const s = r.res.status;
      if (retry && attempt < this.retries && (s === 429 || s === 502 || s === 503 || s === 504)) {
        const after = Number(r.res.headers.get("retry-after"));
        await discard(r.res.body);
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 30_000) : this.retryDelayMs * 2 ** attempt, req.signal);
        continue;
      }
      return r;
    }
  }

  /** request() that turns a non-2xx reply into a RegistryError. */
  async ok(ep: Endpoint, req: RegistryRequest, accept: (status: number) => boolean = (s) => s >= 200 && s < 300): Promise<RegistryResponse> {
    const r = await this.request(ep, req);
    if (!accept(r.res.status)) throw await errorFromResponse(r.res, req.method, r.url);
    return r;
  }
}
