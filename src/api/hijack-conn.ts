// Hijacked Engine API requests (attach, exec start). Two ways in, one handler:
// - `Connection: Upgrade / Upgrade: tcp`: answer `101 UPGRADED`, then the raw socket;
// - a plain POST (dockerode without `hijack`, old clients): answer 200 and
//   stream the raw bytes as the response body, the request body as input.
import type http from "node:http";
import { nodeHttp, nodeStream } from "../builtins.ts";
import type { Socket } from "node:net";
import { apiHeaders } from "./versioning.ts";
import { messageOf } from "../errors.ts";

export interface HijackRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The request body (exec start's `{"Detach","Tty"}`); stream bytes after it stay on the socket. */
  body: Buffer;
  /** True for `Upgrade: tcp`; false for the plain-POST form. */
  upgraded: boolean;
  /** Sends the reply head; from then on the returned socket carries the raw stream both ways. */
  open(contentType: string): Socket;
  /** A plain reply instead of a stream (a detached exec start). */
  respond(status: number, json?: unknown): void;
}

export type HijackHandler = (req: HijackRequest) => void | Promise<void>;

export interface HijackRoute {
  method: string;
  pattern: RegExp;
  /** Names of the pattern's capture groups, in order. */
  keys: string[];
  handler: HijackHandler;
}

export const rawStream = "application/vnd.docker.raw-stream";
export const multiplexedStream = "application/vnd.docker.multiplexed-stream";

export function matchHijack(routes: HijackRoute[], method: string, path: string): { route: HijackRoute; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    return { route, params: Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1]!)])) };
  }
  return undefined;
}

/** The 101 reply Docker clients expect before the raw stream. */
export function upgradeReply(contentType = rawStream): string {
  const extra = Object.entries(apiHeaders()).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  return `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${extra}\r\n`;
}

function rawResponse(status: number, json?: unknown): string {
  const body = json === undefined ? "" : JSON.stringify(json) + "\n";
  const extra = Object.entries(apiHeaders()).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  const type = json === undefined ? "" : "Content-Type: application/json\r\n";
  return `HTTP/1.1 ${status} ${nodeHttp().STATUS_CODES[status] ?? ""}\r\n${type}${extra}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * Reads an upgraded request's body. Node hands it over inside `head`; Bun's
 * node:http delivers it on the request stream and only later bytes on the socket.
 */
async function upgradeBody(req: http.IncomingMessage, head: Buffer, length: number): Promise<{ body: Buffer; rest: Buffer }> {
  if (head.length >= length) return { body: head.subarray(0, length), rest: head.subarray(length) };
  const parts = [head];
  let have = head.length;
  await new Promise<void>((resolve) => {
    const done = () => {
      req.off("data", onData).off("end", done).off("error", done);
      resolve();
    };
    const onData = (b: Buffer) => {
      parts.push(b);
      have += b.length;
      if (have >= length) done();
    };
    req.on("data", onData).once("end", done).once("error", done);
  });
  const buf = Buffer.concat(parts);
  return { body: buf.subarray(0, length), rest: buf.subarray(length) };
}

/** `upgrade` event: the client asked for the raw socket. */
export async function serveUpgraded(route: HijackRoute, params: Record<string, string>, query: URLSearchParams, req: http.IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  const length = Number(req.headers["content-length"] ?? 0) || 0;
  const { body, rest } = await upgradeBody(req, head, Math.min(length, 1 << 20));
  let answered = false;
  const hijack: HijackRequest = {
    params, query, body, upgraded: true,
    open(contentType) {
      answered = true;
      socket.write(upgradeReply(contentType));
      if (rest.length) socket.unshift(rest);
      return socket;
    },
    respond(status, json) {
      answered = true;
      socket.end(rawResponse(status, json));
    },
  };
  try {
    await route.handler(hijack);
  } catch (e) {
    if (!answered && !socket.destroyed) hijack.respond((e as { status?: number } | null)?.status ?? 500, { message: messageOf(e) });
    else socket.destroy();
  }
}

/** A socket-like stream over an ordinary request/response pair. */
function responseSocket(req: http.IncomingMessage, res: http.ServerResponse): Socket {
  const duplex = new (nodeStream().Duplex)({
    read() {},
    write(chunk, _enc, cb) {
      if (res.write(chunk)) cb();
      else res.once("drain", () => cb());
    },
    final(cb) {
      // Finished once the reply's last bytes are handed to the connection: an attach counts as drained only then.
      res.end(() => cb());
    },
    destroy(err, cb) {
      if (!res.writableEnded) res.destroy();
      cb(err);
    },
  });
  // Input ends only when the client goes away: no request body means no stdin, not "stdin closed".
  res.on("close", () => {
    duplex.push(null);
    duplex.destroy();
  });
  void req;
  return duplex as unknown as Socket;
}

function readAll(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (b: Buffer) => {
      size += b.length;
      if (size > 1 << 20) return reject(Object.assign(new Error("request body too large"), { status: 400 }));
      parts.push(b);
    });
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

/** A plain POST to a hijack route: the stream becomes the response body. */
export async function servePlain(route: HijackRoute, params: Record<string, string>, query: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const body = await readAll(req);
  const hijack: HijackRequest = {
    params, query, body, upgraded: false,
    open(contentType) {
      res.writeHead(200, { ...apiHeaders(), "Content-Type": contentType });
      res.flushHeaders();
      return responseSocket(req, res);
    },
    respond(status, json) {
      res.writeHead(status, { ...apiHeaders(), ...(json === undefined ? {} : { "Content-Type": "application/json" }) });
      res.end(json === undefined ? undefined : JSON.stringify(json) + "\n");
    },
  };
  await route.handler(hijack);
}
