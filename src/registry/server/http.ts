// Serves the registry app with node:http / node:https (Bun's), streaming
// request and response bodies (blobs can be GBs).
import type http from "node:http";
import { nodeHttp, nodeHttps } from "../../builtins.ts";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Hono } from "hono";

export interface TlsFiles {
  cert: string;
  key: string;
}

function fetchHeaders(req: http.IncomingMessage): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  return headers;
}

/** Waits for "drain" (or "close"), leaving no listener behind. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

async function bridge(app: Hono, base: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && req.method !== "DELETE";
  const request = new Request(new URL(req.url ?? "/", base).href, {
    method: req.method,
    headers: fetchHeaders(req),
    body: hasBody ? (req as unknown as ReadableStream) : undefined,
    signal: abort.signal,
    duplex: "half",
  } as RequestInit);
  if (!hasBody) req.resume();
  const response = await app.fetch(request);
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    out[k] = k in out ? ([] as string[]).concat(out[k]!, v) : v;
  });
  res.writeHead(response.status, out);
  if (!response.body || req.method === "HEAD") {
    response.body?.cancel().catch(() => {});
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res);
      if (abort.signal.aborted) break;
    }
  } catch {
    // Client gone mid-stream.
  } finally {
    reader.cancel().catch(() => {});
    res.end();
  }
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export async function serve(app: Hono, host: string, port: number, tls?: TlsFiles): Promise<Listening> {
  const scheme = tls ? "https" : "http";
  const base = `${scheme}://${host.includes(":") ? `[${host}]` : host}`;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    bridge(app, base, req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json" });
        res.end('{"errors":[{"code":"UNKNOWN","message":"internal error","detail":null}]}\n');
      } else res.destroy();
    });
  };
  const server = tls
    ? nodeHttps().createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler)
    : nodeHttp().createServer(handler);
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, () => resolve()));
  const addr = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `${scheme}://${shownHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as any).closeAllConnections?.();
      }),
  };
}
