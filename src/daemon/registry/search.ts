// GET /images/search: the v1 search API of the registry the term names
// ("127.0.0.1:5000/app" searches 127.0.0.1:5000, "app" Docker Hub). The
// distribution spec has no search, so registries without /v1/search get a
// clear error rather than an empty list.
import { BerthError, InvalidParameterError } from "../../errors.ts";
import { endpointsFor, type RegistryClient } from "../../registry/client/index.ts";
import { discard } from "../../shared/discard.ts";

export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

export interface SearchFilters {
  stars?: string[];
  "is-official"?: string[];
  "is-automated"?: string[];
}

/** "host:5000/app" → that host and "app"; anything else is Docker Hub's. */
export function splitSearchTerm(term: string): { domain: string; query: string } {
  const i = term.indexOf("/");
  if (i > 0) {
    const first = term.slice(0, i);
    if (first.includes(".") || first.includes(":") || first === "localhost") return { domain: first, query: term.slice(i + 1) };
  }
  return { domain: "docker.io", query: term };
}

export async function searchRegistry(
  client: RegistryClient, term: string, limit: number, insecure: string[], signal?: AbortSignal,
): Promise<SearchResult[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new InvalidParameterError(`limit ${limit} is outside the range of [1, 100]`);
  const { domain, query } = splitSearchTerm(term);
  // Hub's search lives on index.docker.io, not on the registry host.
  const ep = domain === "docker.io"
    ? { domain, host: "index.docker.io", insecure: false, mirror: false }
    : endpointsFor(domain, { insecureRegistries: insecure }, "push").at(-1)!;
  const path = `/v1/search?q=${encodeURIComponent(query)}&n=${limit}`;
  const { res, url } = await client.transport.request(ep, { method: "GET", path, scopes: [], signal });
  if (!res.ok) {
    await discard(res.body);
    throw new BerthError(`Unexpected status code ${res.status} from ${url}: ${domain} does not offer the registry search API`, res.status === 401 ? 401 : 500);
  }
  const body = (await res.json()) as { results?: unknown };
  if (!Array.isArray(body.results)) throw new BerthError(`invalid search reply from ${url}: no results list`, 500);
  return body.results.slice(0, limit).map((r: any) => ({
    name: String(r?.name ?? ""),
    description: String(r?.description ?? ""),
    star_count: Number(r?.star_count) || 0,
    is_official: r?.is_official === true,
    is_automated: r?.is_automated === true,
  }));
}

/** The filters dockerd applies to search results. */
export function filterSearchResults(results: SearchResult[], filters: Record<string, string[]>): SearchResult[] {
  for (const k of Object.keys(filters)) {
    if (!["stars", "is-official", "is-automated"].includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
  }
  const bool = (k: string) => {
    const v = filters[k]?.at(-1);
    if (v === undefined) return undefined;
    if (!["true", "false", "1", "0"].includes(v)) throw new InvalidParameterError(`invalid filter '${k}=${v}'`);
    return v === "true" || v === "1";
  };
  let minStars = 0;
  for (const s of filters.stars ?? []) {
    const n = Number(s);
    if (!Number.isInteger(n)) throw new InvalidParameterError(`invalid filter 'stars=${s}'`);
    minStars = Math.max(minStars, n);
  }
  const official = bool("is-official");
  const automated = bool("is-automated");
  return results.filter((r) =>
    r.star_count >= minStars && (official === undefined || r.is_official === official) && (automated === undefined || r.is_automated === automated));
}
