// Small registries made for tests: one that lies about blob bytes, one that
// drops connections mid-blob, one behind a Bearer token realm. They speak
// just enough of the distribution API for the client under test.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { RegistryStorage } from "../../src/registry/server/storage/index.ts";
import { createRegistryApp } from "../../src/registry/server/app.ts";
import { sha256 } from "./helpers.ts";

export interface FakeServer {
  host: string;
  url: string;
  stop(): Promise<void>;
}

/** node:http on a loopback port (a free one unless given). */
export async function listen(handler: http.RequestListener, wanted = 0): Promise<FakeServer> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(wanted, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

/**
 * Serves `blobs` by digest under any repository, and `manifests` by tag/digest
 * with their media type. `lie` maps a digest to the bytes really sent.
 */
export function staticRegistry(opts: {
  blobs?: Map<string, Uint8Array>;
  manifests?: Map<string, { bytes: Uint8Array; mediaType: string }>;
  lie?: Map<string, Uint8Array>;
  /** Called for each blob GET; may cut the reply (return a byte count to stop after, then destroy). */
  cut?: (digest: string, range: string | undefined, attempt: number) => number | undefined;
  requests?: { method: string; url: string; range?: string }[];
}): http.RequestListener {
  const attempts = new Map<string, number>();
  return (req, res) => {
    const url = req.url ?? "/";
    opts.requests?.push({ method: req.method ?? "GET", url, range: req.headers.range });
    if (url === "/v2/") return res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    let m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url);
    if (m) {
      const man = opts.manifests?.get(m[2]!);
      if (!man) return res.writeHead(404, { "Content-Type": "application/json" }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      return res.writeHead(200, { "Content-Type": man.mediaType, "Content-Length": man.bytes.length }).end(man.bytes);
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url);
    const digest = m?.[2];
    const blob = digest ? opts.lie?.get(digest) ?? opts.blobs?.get(digest) : undefined;
    if (!digest || !blob) return res.writeHead(404, { "Content-Type": "application/json" }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
    const n = (attempts.get(digest) ?? 0) + 1;
    attempts.set(digest, n);
    let start = 0;
    const range = req.headers.range;
    const rm = range && /^bytes=(\d+)-$/.exec(range);
    if (rm) start = Number(rm[1]);
    const body = blob.subarray(start);
    const headers: Record<string, string | number> = { "Content-Type": "application/octet-stream", "Content-Length": body.length, "Docker-Content-Digest": digest };
    if (rm) headers["Content-Range"] = `bytes ${start}-${blob.length - 1}/${blob.length}`;
    res.writeHead(rm ? 206 : 200, headers);
    const stopAfter = opts.cut?.(digest, range, n);
    if (stopAfter === undefined) return res.end(body);
    res.write(body.subarray(0, stopAfter), () => setTimeout(() => res.destroy(), 20));
  };
}

/** A blob of `size` pseudo-random bytes and its digest. */
export function randomBlob(size: number): { bytes: Uint8Array; digest: string } {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(i + 65536, size)));
  return { bytes, digest: sha256(bytes) };
}

/**
 * berth's registry app behind a token realm (like Docker Hub): /token hands
 * out short-lived tokens for the scopes asked (pull for anyone, push only for
 * `user`/`pass`); the registry answers 401 with a Bearer challenge, and
 * `insufficient_scope` when the token lacks the scope.
 */
export async function tokenRegistry(root: string, opts: { user: string; pass: string; privateRepos?: string[] }): Promise<FakeServer & { tokenRequests: string[]; revokeAll(): void }> {
  const app = createRegistryApp({ storage: new RegistryStorage(root) });
  const tokens = new Map<string, Set<string>>();
  const tokenRequests: string[] = [];
  let base = "";
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/token") {
        tokenRequests.push(url.search);
        const auth = req.headers.get("authorization");
        const authed = auth === `Basic ${btoa(`${opts.user}:${opts.pass}`)}`;
        if (auth && !authed) return Response.json({ details: "incorrect username or password" }, { status: 401 });
        const granted = new Set<string>();
        for (const s of url.searchParams.getAll("scope")) {
          const [, name, actions] = s.split(":");
          for (const a of actions!.split(",")) {
            if (opts.privateRepos?.includes(name!) && !authed) continue;
            if (a === "push" && !authed) continue;
            granted.add(`${name}:${a}`);
          }
        }
        const token = crypto.randomUUID();
        tokens.set(token, granted);
        return Response.json({ token, expires_in: 300, issued_at: new Date().toISOString() });
      }
      const m = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)\//.exec(url.pathname);
      const need = m ? `${m[1]}:${req.method === "GET" || req.method === "HEAD" ? "pull" : "push"}` : undefined;
      const bearer = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
      const granted = bearer ? tokens.get(bearer) : undefined;
      const scope = m ? `repository:${m[1]}:${need!.split(":")[1]}` : "";
      const challenge = `Bearer realm="${base}/token",service="test-registry"${scope ? `,scope="${scope}"` : ""}`;
      if (!granted) {
        return Response.json({ errors: [{ code: "UNAUTHORIZED", message: "authentication required", detail: null }] }, { status: 401, headers: { "WWW-Authenticate": challenge } });
      }
      if (need && !granted.has(need)) {
        return Response.json({ errors: [{ code: "UNAUTHORIZED", message: "authentication required", detail: null }] }, {
          status: 401, headers: { "WWW-Authenticate": `${challenge},error="insufficient_scope"` },
        });
      }
      return app.fetch(req);
    },
  });
  base = `http://127.0.0.1:${server.port}`;
  return {
    host: `127.0.0.1:${server.port}`,
    url: base,
    tokenRequests,
    revokeAll: () => tokens.clear(),
    stop: async () => { server.stop(true); },
  };
}

/**
 * A pass-through proxy in front of a registry that can slow blob downloads
 * down (to abort mid-way) or corrupt them (same length, wrong bytes).
 */
export async function proxyRegistry(target: string, opts: { delayMs?: number; corrupt?: (url: string) => boolean; port?: number }): Promise<FakeServer> {
  return listen(async (req, res) => {
    const url = req.url ?? "/";
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host") headers[k] = v;
    const upstream = await fetch(`${target}${url}`, { method: req.method, headers, redirect: "manual" });
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => (out[k] = v));
    res.writeHead(upstream.status, out);
    const isBlob = /\/blobs\/sha256:/.test(url) && req.method === "GET";
    if (!upstream.body || req.method === "HEAD") return void res.end();
    if (!isBlob || (!opts.delayMs && !opts.corrupt?.(url))) return void res.end(new Uint8Array(await upstream.arrayBuffer()));
    const bytes = new Uint8Array(await upstream.arrayBuffer());
    if (opts.corrupt?.(url)) for (let i = 100; i < bytes.length; i += 997) bytes[i]! ^= 0xff;
    const step = 32 << 10;
    for (let off = 0; off < bytes.length && !res.destroyed; off += step) {
      res.write(bytes.subarray(off, off + step));
      if (opts.delayMs) await Bun.sleep(opts.delayMs);
    }
    res.end();
  }, opts.port);
}
