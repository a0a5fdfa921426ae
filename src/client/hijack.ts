// Hijacked connections (attach, exec start): an HTTP request answered with
// `101 UPGRADED`, after which the socket carries the container's streams.
import type net from "node:net";
import { nodeNet, nodeTls } from "../builtins.ts";
import { ApiError, ConnectError, type Client } from "./client.ts";

export interface Hijacked {
  socket: net.Socket;
  /** Bytes that arrived with the response head. */
  head: Buffer;
}

export function hijack(client: Client, path: string, query: Record<string, unknown>, body?: unknown): Promise<Hijacked> {
  const url = new URL(client.base + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== false) url.searchParams.set(k, v === true ? "1" : String(v));
  return new Promise((resolve, reject) => {
    const onConnectError = () => reject(new ConnectError(`Cannot connect to the berth daemon at ${client.opts.host}. Is the berth daemon running?`));
    let socket: net.Socket;
    if (client.unix) socket = nodeNet().connect(client.unix);
    else if (url.protocol === "https:") {
      socket = nodeTls().connect({ host: url.hostname, port: Number(url.port || 2376), ...client.tlsConfig });
    } else socket = nodeNet().connect(Number(url.port || 2375), url.hostname);
    socket.once("error", onConnectError);
    const payload = body === undefined ? "" : JSON.stringify(body);
    const connectEvent = url.protocol === "https:" && !client.unix ? "secureConnect" : "connect";
    socket.once(connectEvent, () => {
      socket.write(
        `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
      );
    });
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      socket.off("error", onConnectError);
      const headText = buf.subarray(0, end).toString("latin1");
      const rest = buf.subarray(end + 4);
      const status = Number(/^HTTP\/1\.\d (\d+)/.exec(headText)?.[1] ?? 0);
      if (status === 101 || status === 200) return resolve({ socket, head: rest });
      // An error reply: read its body (Content-Length) and surface the message.
      const len = Number(/content-length:\s*(\d+)/i.exec(headText)?.[1] ?? 0);
      const finish = (b: Buffer) => {
        let message = b.toString("utf8").trim();
        try {
          message = JSON.parse(message).message ?? message;
        } catch {
          // not JSON: the text itself is the message
        }
        socket.destroy();
        reject(new ApiError(status, message));
      };
      if (rest.length >= len) return finish(rest.subarray(0, len));
      let body2 = rest;
      socket.on("data", (c: Buffer) => {
        body2 = Buffer.concat([body2, c]);
        if (body2.length >= len) finish(body2.subarray(0, len));
      });
      socket.on("end", () => finish(body2));
    };
    socket.on("data", onData);
  });
}

/**
 * Splits Docker's multiplexed stream ([stream,0,0,0,len32be] frames) into
 * stdout/stderr writes. Returns a feeder for incoming chunks.
 */
export function demuxer(onStdout: (b: Uint8Array) => void, onStderr: (b: Uint8Array) => void): (chunk: Uint8Array) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk);
    while (pending.length >= 8) {
      const len = pending.readUInt32BE(4);
      if (pending.length < 8 + len) break;
      const payload = pending.subarray(8, 8 + len);
      if (pending[0] === 2) onStderr(payload);
      else onStdout(payload);
      pending = pending.subarray(8 + len);
    }
  };
}
