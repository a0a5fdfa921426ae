// What every registry route gets: the storage and the parsed URL.
import type { RegistryStorage } from "../storage/index.ts";
import { API_VERSION_HEADER } from "../errors.ts";

export interface RouteContext {
  storage: RegistryStorage;
  req: Request;
  url: URL;
  /** Repository name, already validated. */
  name: string;
}

export function reply(status: number, headers: Record<string, string> = {}, body: ConstructorParameters<typeof Response>[0] = null): Response {
  return new Response(body, { status, headers: { ...API_VERSION_HEADER, ...(body === null ? { "Content-Length": "0" } : {}), ...headers } });
}

export function jsonReply(value: unknown, headers: Record<string, string> = {}, status = 200): Response {
  const body = JSON.stringify(value);
  return reply(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(body)), ...headers }, body);
}

/** Request body as chunks (null when there is none). */
export function bodyChunks(req: Request): AsyncIterable<Uint8Array> | null {
  return req.body as unknown as AsyncIterable<Uint8Array> | null;
}

/** Reads at most `limit` bytes of the body; more → the given error. */
export async function readLimited(req: Request, limit: number, tooLarge: () => Error): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  const body = bodyChunks(req);
  if (body) {
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > limit) throw tooLarge();
      parts.push(chunk);
    }
  }
  return Buffer.concat(parts);
}

/** `n` and `last` pagination over a sorted list; adds a Link header when more follow. */
export function paginate(all: string[], url: URL, path: string): { items: string[]; headers: Record<string, string> } {
  const nParam = url.searchParams.get("n");
  const last = url.searchParams.get("last");
  let items = last ? all.filter((x) => x > last) : all;
  const headers: Record<string, string> = {};
  if (nParam !== null) {
    const n = Number(nParam);
    if (!Number.isInteger(n) || n < 0) return { items: [], headers: { "X-Invalid-N": "1" } };
    if (items.length > n) {
      items = items.slice(0, n);
      if (n > 0) headers.Link = `<${path}?n=${n}&last=${encodeURIComponent(items[items.length - 1]!)}>; rel="next"`;
    }
  }
  return { items, headers };
}
