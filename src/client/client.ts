// The Engine API client used by the CLI: unix sockets, TCP and TLS, JSON and
// streamed bodies, and errors carrying the daemon's status and message.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { homedir } from "node:os";
import { apiVersion } from "../version.ts";

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Could not reach the daemon at all. */
export class ConnectError extends Error {}

export interface ClientOptions {
  host: string;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export function clientOptionsFromEnv(host: string | undefined, flags: Partial<ClientOptions> = {}): ClientOptions {
  const certPath = process.env.DOCKER_CERT_PATH;
  const verify = flags.tlsVerify ?? !!process.env.DOCKER_TLS_VERIFY;
  const file = (flag: string | undefined, name: string) =>
    flag ?? (certPath ? join(certPath, name) : verify && existsSync(join(homedir(), ".docker", name)) ? join(homedir(), ".docker", name) : undefined);
  return {
    host: host ?? "unix:///run/berth/berth.sock",
    tlsVerify: verify,
    tlsCaCert: file(flags.tlsCaCert, "ca.pem"),
    tlsCert: file(flags.tlsCert, "cert.pem"),
    tlsKey: file(flags.tlsKey, "key.pem"),
  };
}

export class Client {
  readonly base: string;
  readonly unix?: string;
  private tls?: { ca?: string; cert?: string; key?: string };

  constructor(readonly opts: ClientOptions) {
    const url = new URL(opts.host);
    if (url.protocol === "unix:") {
      this.unix = url.pathname;
      this.base = `http://localhost/v${apiVersion}`;
    } else if (url.protocol === "tcp:" || url.protocol === "http:" || url.protocol === "https:") {
      const secure = opts.tlsVerify || url.protocol === "https:" || !!opts.tlsCert;
      this.base = `${secure ? "https" : "http"}://${url.host}/v${apiVersion}`;
      if (secure) {
        this.tls = {
          ca: opts.tlsCaCert && readFileSync(opts.tlsCaCert, "utf8"),
          cert: opts.tlsCert && readFileSync(opts.tlsCert, "utf8"),
          key: opts.tlsKey && readFileSync(opts.tlsKey, "utf8"),
        };
      }
    } else {
      throw new Error(`unsupported protocol scheme in host ${opts.host}`);
    }
  }

  /** Raw request; throws ApiError for 4xx/5xx with the daemon's message. */
  async request(method: string, path: string, init: { query?: Record<string, unknown>; body?: any; json?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(init.query ?? {})) {
      if (v === undefined || v === null || v === false || v === "") continue;
      if (Array.isArray(v)) for (const x of v) url.searchParams.append(k, String(x));
      else url.searchParams.set(k, v === true ? "1" : String(v));
    }
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    let body = init.body;
    if (init.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(init.json);
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method, headers, body, signal: init.signal,
        unix: this.unix, tls: this.tls, duplex: "half", decompress: false, timeout: false,
      } as RequestInit);
    } catch (e: any) {
      throw new ConnectError(
        `Cannot connect to the berth daemon at ${this.opts.host}. Is the berth daemon running?` + (e?.code ? ` (${e.code})` : ""),
      );
    }
    if (res.status >= 400) {
      const text = await res.text();
      let message = text.trim();
      try {
        message = JSON.parse(text).message ?? message;
      } catch {}
      throw new ApiError(res.status, message);
    }
    return res;
  }

  async json<T = any>(method: string, path: string, init: Parameters<Client["request"]>[2] = {}): Promise<T> {
    const res = await this.request(method, path, init);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(`${this.base.replace(/\/v[\d.]+$/, "")}/_ping`, {
        unix: this.unix, tls: this.tls, timeout: false,
      } as RequestInit);
      return res.ok;
    } catch {
      return false;
    }
  }
}

/** Reads a Docker JSON-message stream, one object per line. */
export async function* jsonMessages(res: Response): AsyncGenerator<Record<string, any>> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) yield JSON.parse(line);
    }
    if (done) break;
  }
  if (buf.trim()) yield JSON.parse(buf);
}
