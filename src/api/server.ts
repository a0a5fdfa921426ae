// The Engine API server: node:http (Bun's) in front of a Hono app, because
// hijacked streams (attach, exec start) need the raw socket after a 101 reply,
// which Bun.serve cannot give (see DESIGN.md). Listens on unix sockets and TCP,
// with TLS when configured.
import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { chmodSync, existsSync, mkdirSync, rmSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Hono } from "hono";
import { apiVersion, minApiVersion } from "../version.ts";

/** `rest` holds stream bytes that arrived after the request body; `body` is the request body. */
export type HijackHandler = (socket: Socket, params: Record<string, string>, query: URLSearchParams, rest: Buffer, body: Buffer) => void | Promise<void>;

export interface HijackRoute {
  method: string;
  pattern: RegExp;
  /** Names of the pattern's capture groups, in order. */
  keys: string[];
  handler: HijackHandler;
}

export interface ListenSpec {
  /** "unix:///run/berth/berth.sock", "tcp://127.0.0.1:2375", "tcp://0.0.0.0:2376" */
  address: string;
  tls?: { cert: string; key: string; ca?: string; verifyClients?: boolean };
  /** Allow plain TCP on a non-loopback address. */
  allowInsecureTcp?: boolean;
}

const versionPrefix = /^\/v(\d+)\.(\d+)(\/.*)$/;

function compareVersion(a: string, b: string): number {
  const [a1, a2] = a.split(".").map(Number);
  const [b1, b2] = b.split(".").map(Number);
  return a1! - b1! || a2! - b2!;
}

/** Strips `/v1.NN`; returns an error message for versions berth does not serve. */
export function routePath(url: string): { path: string; error?: string } {
  const m = versionPrefix.exec(url);
  if (!m) return { path: url };
  const v = `${m[1]}.${m[2]}`;
  if (compareVersion(v, minApiVersion) < 0) {
    return { path: m[3]!, error: `client version ${v} is too old. Minimum supported API version is ${minApiVersion}, please upgrade your client to a newer version` };
  }
  if (compareVersion(v, apiVersion) > 0) {
    return { path: m[3]!, error: `client version ${v} is too new. Maximum supported API version is ${apiVersion}` };
  }
  return { path: m[3]! };
}

function jsonError(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "Content-Type": "application/json", "Api-Version": apiVersion });
  res.end(JSON.stringify({ message }) + "\n");
}

async function bridge(app: Hono, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { path, error } = routePath(req.url ?? "/");
  if (error) return jsonError(res, 400, error);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(`http://berth${path}`, {
    method: req.method,
    headers,
    body: hasBody ? (req as unknown as AsyncIterable<Uint8Array> as any) : undefined,
    signal: abort.signal,
    duplex: "half",
  } as RequestInit);
  const response = await app.fetch(request);
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    out[k] = k in out ? ([] as string[]).concat(out[k]!, v) : v;
  });
  res.writeHead(response.status, out);
  if (!response.body || req.method === "HEAD") return void res.end();
  res.flushHeaders();
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((r) => res.once("drain", () => r()));
      if (abort.signal.aborted) break;
    }
  } catch {
    // The client went away mid-stream.
  } finally {
    reader.cancel().catch(() => {});
    res.end();
  }
}

function onUpgrade(routes: HijackRoute[], req: http.IncomingMessage, socket: Socket, head: Buffer): void {
  const url = new URL(req.url ?? "/", "http://berth");
  const { path, error } = routePath(url.pathname);
  const route = routes.find((r) => r.method === req.method && r.pattern.test(path));
  const fail = (status: number, message: string) => {
    const body = JSON.stringify({ message }) + "\n";
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  if (error) return fail(400, error);
  if (!route) return fail(404, "page not found");
  const m = route.pattern.exec(path)!;
  const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1]!)]));
  // The request body (exec start's {"Detach","Tty"}) comes first in the upgraded stream.
  const len = Math.min(Number(req.headers["content-length"] ?? 0) || 0, head.length);
  Promise.resolve(route.handler(socket, params, url.searchParams, head.subarray(len), head.subarray(0, len))).catch((e) => {
    if (!socket.destroyed) fail(e?.status ?? 500, String(e?.message ?? e));
  });
}

/** The 101 reply Docker clients expect before the raw stream. */
export function upgradeReply(contentType = "application/vnd.docker.raw-stream"): string {
  return `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: ${apiVersion}\r\n\r\n`;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

export interface RunningServer {
  address: string;
  close(): Promise<void>;
}

/** Listens on one address; refuses plain TCP beyond loopback unless allowed. */
export async function listen(app: Hono, hijack: HijackRoute[], spec: ListenSpec): Promise<RunningServer> {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    bridge(app, req, res).catch((e) => {
      if (!res.headersSent) jsonError(res, 500, String(e?.message ?? e));
      else res.destroy();
    });
  };
  const url = new URL(spec.address.includes("://") ? spec.address : `unix://${spec.address}`);
  let server: http.Server;
  if (spec.tls) {
    server = https.createServer({
      cert: readFileSync(spec.tls.cert),
      key: readFileSync(spec.tls.key),
      ca: spec.tls.ca ? readFileSync(spec.tls.ca) : undefined,
      requestCert: !!spec.tls.verifyClients,
      rejectUnauthorized: !!spec.tls.verifyClients,
    }, handler);
  } else {
    server = http.createServer(handler);
  }
  server.on("upgrade", (req, socket, head) => onUpgrade(hijack, req, socket as Socket, head));
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;

  if (url.protocol === "unix:") {
    const path = url.pathname;
    mkdirSync(dirname(path), { recursive: true, mode: 0o711 });
    if (existsSync(path)) rmSync(path);
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(path, () => resolve()));
    chmodSync(path, 0o660);
    return { address: `unix://${path}`, close: () => closeServer(server, () => rmSync(path, { force: true })) };
  }
  if (url.protocol !== "tcp:") throw new Error(`invalid listen address: ${spec.address}`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!spec.tls && !isLoopback(host) && !spec.allowInsecureTcp) {
    throw new Error(
      `refusing to listen on ${spec.address} without TLS: anyone who can reach it controls the host as root. ` +
        `Use --tlsverify with --tlscacert/--tlscert/--tlskey, or a loopback address`,
    );
  }
  const port = Number(url.port || (spec.tls ? 2376 : 2375));
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, () => resolve()));
  const actual = (server.address() as { port: number }).port;
  return { address: `tcp://${url.hostname}:${actual}`, close: () => closeServer(server) };
}

function closeServer(server: http.Server, after?: () => void): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      after?.();
      resolve();
    });
    server.closeAllConnections?.();
  });
}
