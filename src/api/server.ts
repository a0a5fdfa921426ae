// The Engine API server: node:http (Bun's) in front of a Hono app, because
// hijacked streams (attach, exec start) need the raw socket after a 101 reply,
// which Bun.serve cannot give (see DESIGN.md). Listens on unix sockets and TCP,
// with TLS when configured.
import type http from "node:http";
import type { Socket } from "node:net";
import { nodeHttp, nodeHttps, nodeNet } from "../builtins.ts";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, rmSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Hono } from "hono";
import { apiHeaders, apiVersionHeader, routePath } from "./versioning.ts";
import { matchHijack, servePlain, serveUpgraded, type HijackRoute } from "./hijack-conn.ts";
import { bridge } from "../http/node-bridge.ts";

export { routePath } from "./versioning.ts";
export { upgradeReply, type HijackRoute, type HijackHandler, type HijackRequest } from "./hijack-conn.ts";

export interface ListenSpec {
  /** "unix:///run/berth/berth.sock", "tcp://127.0.0.1:2375", "tcp://0.0.0.0:2376" */
  address: string;
  tls?: { cert: string; key: string; ca?: string; verifyClients?: boolean };
  /** Allow plain TCP on a non-loopback address. */
  allowInsecureTcp?: boolean;
  /** Unix socket mode (default 0660). */
  socketMode?: number;
  /** The unix socket's group (dockerd's --group); undefined: root's. */
  socketGid?: number;
}

export interface RunningServer {
  address: string;
  /** Plain TCP beyond loopback, accepted because --tls=false was given: the daemon warns of it. */
  insecure?: boolean;
  close(): Promise<void>;
}

function jsonError(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { ...apiHeaders(), "Content-Type": "application/json" });
  res.end(JSON.stringify({ message }) + "\n");
}

function onRequest(app: Hono, hijack: HijackRoute[], req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://berth");
  const { path, version, error } = routePath(url.pathname);
  if (error) {
    req.resume();
    return Promise.resolve(jsonError(res, 400, error));
  }
  // Routes whose behaviour changed between API versions read the client's (volume prune).
  req.headers[apiVersionHeader] = version;
  // Attach and exec start without `Upgrade: tcp` still stream, as dockerd does.
  const h = matchHijack(hijack, req.method ?? "GET", path);
  if (h) return servePlain(h.route, h.params, url.searchParams, req, res);
  return bridge(app, req, res, `http://berth${path}${url.search}`);
}

function onUpgrade(routes: HijackRoute[], req: http.IncomingMessage, socket: Socket, head: Buffer): void {
  const url = new URL(req.url ?? "/", "http://berth");
  const { path, error } = routePath(url.pathname);
  const fail = (status: number, message: string) => {
    const body = JSON.stringify({ message }) + "\n";
    const extra = Object.entries(apiHeaders()).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    socket.end(`HTTP/1.1 ${status} ${nodeHttp().STATUS_CODES[status]}\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  socket.on("error", () => {});
  if (error) return fail(400, error);
  const h = matchHijack(routes, req.method ?? "GET", path);
  if (!h) return fail(404, "page not found");
  serveUpgraded(h.route, h.params, url.searchParams, req, socket, head).catch(() => socket.destroy());
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** True when something accepts connections on the unix socket at `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = nodeNet().connect(path);
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    setTimeout(() => done(false), 1000).unref();
  });
}

/** Fails early (before the daemon opens its store) when a unix address is served already. */
export async function checkListenAddress(address: string): Promise<void> {
  if (address.startsWith("unix://") || address.startsWith("/")) {
    const path = address.replace(/^unix:\/\//, "");
    if (existsSync(path) && lstatSync(path).isSocket() && (await socketAnswers(path))) {
      throw new Error(`cannot listen on ${path}: another daemon is already serving it`);
    }
  }
}

/** Removes a stale socket file; refuses when a live server or a non-socket sits there. */
async function clearSocketPath(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`cannot listen on ${path}: the path exists and is not a socket`);
  if (await socketAnswers(path)) throw new Error(`cannot listen on ${path}: another daemon is already serving it`);
  rmSync(path, { force: true });
}

/**
 * A client that has not sent its whole request head by then is dropped (a slow-header flood holds
 * no socket for long). Node's default: at 10 s a daemon whose loop was busy with a burst of starts
 * on a loaded host answered 408 to heads that had long been waiting in its socket.
 * BERTH_API_HEADERS_TIMEOUT_MS sets another, as the slow-client tests do.
 */
export const headersTimeoutMs = Number(process.env.BERTH_API_HEADERS_TIMEOUT_MS) || 60_000;

function createServer(app: Hono, hijack: HijackRoute[], spec: ListenSpec): http.Server {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    onRequest(app, hijack, req, res).catch((e) => {
      if (!res.headersSent) jsonError(res, e?.status ?? 500, String(e?.message ?? e));
      else res.destroy();
    });
  };
  const server = spec.tls
    ? nodeHttps().createServer({
        cert: readFileSync(spec.tls.cert),
        key: readFileSync(spec.tls.key),
        ca: spec.tls.ca ? readFileSync(spec.tls.ca) : undefined,
        requestCert: !!spec.tls.verifyClients,
        rejectUnauthorized: !!spec.tls.verifyClients,
      }, handler)
    : nodeHttp().createServer(handler);
  server.on("upgrade", (req, socket, head) => onUpgrade(hijack, req, socket as Socket, head));
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0; // bodies (image loads, build contexts) may take long; their headers may not
  server.headersTimeout = headersTimeoutMs;
  return server;
}

/** Listens on one address; refuses plain TCP beyond loopback unless allowed. */
export async function listen(app: Hono, hijack: HijackRoute[], spec: ListenSpec): Promise<RunningServer> {
  const url = new URL(spec.address.includes("://") ? spec.address : `unix://${spec.address}`);
  if (url.protocol === "unix:") {
    const path = url.pathname;
    if (!path || path === "/") throw new Error(`invalid listen address: ${spec.address}`);
    mkdirSync(dirname(path), { recursive: true, mode: 0o711 });
    await clearSocketPath(path);
    const server = createServer(app, hijack, spec);
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(path, () => resolve()));
    chmodSync(path, spec.socketMode ?? 0o660);
    if (spec.socketGid !== undefined) chownSync(path, 0, spec.socketGid);
    return { address: `unix://${path}`, close: () => closeServer(server, () => rmSync(path, { force: true })) };
  }
  if (url.protocol !== "tcp:") throw new Error(`invalid listen address: ${spec.address} (want unix:///path or tcp://host:port)`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!spec.tls && !isLoopback(host) && !spec.allowInsecureTcp) {
    throw new Error(
      `refusing to listen on ${spec.address} without TLS: anyone who can reach it controls the host as root. ` +
        `Use --tlsverify with --tlscacert/--tlscert/--tlskey, a loopback address, or --tls=false to accept the risk`,
    );
  }
  const server = createServer(app, hijack, spec);
  const port = Number(url.port || (spec.tls ? 2376 : 2375));
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, () => resolve()));
  const actual = (server.address() as { port: number }).port;
  return { address: `tcp://${url.hostname}:${actual}`, insecure: !spec.tls && !isLoopback(host), close: () => closeServer(server) };
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
