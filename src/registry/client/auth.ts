// Registry authentication: the challenge a registry answered with (per host)
// decides how requests are signed — Basic with stored credentials, or a
// Bearer token from the challenge's realm for the scopes a request needs.
// Tokens are cached per scope set and refreshed before they expire or when a
// registry rejects them.
import { parseChallenges, type Challenge } from "./challenge.ts";
import { errorFromResponse, RegistryError } from "./errors.ts";
import type { Credentials } from "./credentials.ts";
import type { Endpoint } from "./endpoints.ts";

export type CredentialSource = (domain: string) => Credentials | undefined | Promise<Credentials | undefined>;
export type Fetcher = (url: string, init: RequestInit & { insecure?: boolean }) => Promise<Response>;

interface CachedToken {
  header: string;
  expiresAt: number;
}

const EARLY_REFRESH_MS = 10_000;

export function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}

export function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

export class Authenticator {
  private challenges = new Map<string, Challenge>();
  private tokens = new Map<string, CachedToken>();
  private pending = new Map<string, Promise<CachedToken>>();

  constructor(private credentials: CredentialSource, private fetcher: Fetcher) {}

  /**
   * Remembers a 401's challenge (dropping the token that was refused); false
   * when it offers nothing we can answer.
   */
  learn(ep: Endpoint, header: string | null, scopes: string[]): boolean {
    const all = parseChallenges(header ?? "");
    const c = all.find((x) => x.scheme === "bearer" && x.params.realm) ?? all.find((x) => x.scheme === "basic");
    if (!c) return false;
    this.challenges.set(ep.host, c);
    this.tokens.delete(this.tokenKey(ep, scopes));
    return true;
  }

  /** Whether this host has told us how to authenticate. */
  knows(ep: Endpoint): boolean {
    return this.challenges.has(ep.host);
  }

  /** The Authorization header for a request needing `scopes`, if any. */
  async header(ep: Endpoint, scopes: string[]): Promise<string | undefined> {
    const c = this.challenges.get(ep.host);
    if (!c) return undefined;
    const creds = await this.credentials(ep.domain);
    if (c.scheme === "basic") {
      if (!creds?.username) return undefined;
      return `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ""}`).toString("base64")}`;
    }
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const key = this.tokenKey(ep, scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - EARLY_REFRESH_MS > Date.now()) return cached.header;
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(ep, c, scopes, creds).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    const t = await p;
    this.tokens.set(key, t);
    return t.header;
  }

  private tokenKey(ep: Endpoint, scopes: string[]): string {
    return `${ep.host}|${[...scopes].sort().join(" ")}`;
  }

  /** GET (or POST with a refresh token) the challenge's realm. */
  async fetchToken(ep: Endpoint, c: Challenge, scopes: string[], creds: Credentials | undefined, account?: string): Promise<CachedToken> {
    const realm = new URL(c.params.realm!);
    let res: Response;
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: creds.identityToken, client_id: "berth", access_type: "offline" });
      if (c.params.service) form.set("service", c.params.service);
      if (scopes.length) form.set("scope", scopes.join(" "));
      res = await this.fetcher(realm.href, { method: "POST", body: form.toString(), headers: { "Content-Type": "application/x-www-form-urlencoded" }, insecure: ep.insecure });
    } else {
      if (c.params.service) realm.searchParams.set("service", c.params.service);
      for (const s of scopes) realm.searchParams.append("scope", s);
      const user = account ?? creds?.username;
      if (user) realm.searchParams.set("account", user);
      const headers: Record<string, string> = {};
      if (creds?.username) headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ""}`).toString("base64")}`;
      res = await this.fetcher(realm.href, { method: "GET", headers, insecure: ep.insecure });
    }
    if (!res.ok) throw await errorFromResponse(res, "GET", realm.href);
    let body: Record<string, unknown>;
    try {
      body = (await res.json()) as Record<string, unknown>;
    } catch {
      throw new RegistryError("unable to decode token response: not JSON", undefined, res.status);
    }
    const token = typeof body.token === "string" && body.token ? body.token : typeof body.access_token === "string" ? body.access_token : "";
    if (!token) throw new RegistryError("authorization server did not include a token in the response", undefined, res.status);
    const expiresIn = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 60;
    const issued = typeof body.issued_at === "string" ? Date.parse(body.issued_at) : NaN;
    const start = Number.isFinite(issued) && issued <= Date.now() ? issued : Date.now();
    return { header: `Bearer ${token}`, expiresAt: start + expiresIn * 1000 };
  }

  challenge(ep: Endpoint): Challenge | undefined {
    return this.challenges.get(ep.host);
  }
}
