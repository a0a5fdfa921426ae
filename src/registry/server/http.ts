// Serves the registry app with node:http / node:https (Bun's), streaming
// request and response bodies (blobs can be GBs).
import type http from "node:http";
import { nodeHttp, nodeHttps } from "../../builtins.ts";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Hono } from "hono";
import { bridge } from "../../http/node-bridge.ts";

export interface TlsFiles {
  cert: string;
  key: string;
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export async function serve(app: Hono, host: string, port: number, tls?: TlsFiles): Promise<Listening> {
  const scheme = tls ? "https" : "http";
  const base = `${scheme}://${host.includes(":") ? `[${host}]` : host}`;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    bridge(app, req, res, new URL(req.url ?? "/", base).href).catch(() => {
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
