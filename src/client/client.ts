// The Engine API client used by the CLI: unix sockets, TCP and TLS, JSON and
// streamed bodies, and errors carrying the daemon's status and message.
import { nodeFs, nodeOs } from "../builtins.ts";
import { errnoCode } from "../errors.ts";
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
  /** TLS without verifying the server (`--tls`). */
  tls?: boolean;
  /** TLS, verifying the server against the CA (`--tlsverify`, DOCKER_TLS_VERIFY). */
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export const defaultHost = "unix:///run/berth/berth.sock";

/**
 * Fills the options the way the docker CLI does: DOCKER_TLS_VERIFY turns on
 * verification, certificates come from the flags, else DOCKER_CERT_PATH, else
 * ~/.docker (only when TLS is on).
 */
export function clientOptionsFromEnv(host: string | undefined, flags: Partial<ClientOptions> = {}): ClientOptions {
  // $HOME first, as os.homedir() does: node:os costs ~0.5 ms to load, in every command.
  const certPath = process.env.DOCKER_CERT_PATH || `${process.env.HOME || nodeOs().homedir()}/.docker`;
  const verify = flags.tlsVerify ?? !!process.env.DOCKER_TLS_VERIFY;
  const useTls = verify || !!flags.tls || !!flags.tlsCert;
  const file = (flag: string | undefined, name: string) => {
    if (flag) return flag;
    if (!useTls) return undefined;
    const p = `${certPath.replace(/\/+$/, "")}/${name}`;
    return nodeFs().existsSync(p) ? p : undefined;
  };
  return {
    host: host ?? defaultHost,
    tls: useTls,
    tlsVerify: verify,
    tlsCaCert: file(flags.tlsCaCert, "ca.pem"),
    tlsCert: file(flags.tlsCert, "cert.pem"),
    tlsKey: file(flags.tlsKey, "key.pem"),
  };
}

/** Cannot parse a -H / DOCKER_HOST value. */
function hostError(host: string): Error {
  return new Error(`unable to parse docker host \`${host}\``);
}

export class Client {
  readonly base: string;
  readonly unix?: string;
  private tlsOptions?: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
  /**
   * Makes a daemon answer where none listens (the CLI's autostart). Called at most once, when a
   * request finds nothing at the address, and the request is then made again: nothing was sent.
   */
  whenUnreachable?: () => Promise<void>;

  constructor(readonly opts: ClientOptions) {
    let url: URL;
    try {
      url = new URL(opts.host.startsWith("/") ? `unix://${opts.host}` : opts.host);
    } catch {
      throw hostError(opts.host);
    }
    if (url.protocol === "unix:") {
      if (!url.pathname || url.pathname === "/") throw hostError(opts.host);
      this.unix = url.pathname;
      this.base = `http://localhost/v${apiVersion}`;
    } else if (url.protocol === "tcp:" || url.protocol === "http:" || url.protocol === "https:") {
      const secure = opts.tls || opts.tlsVerify || url.protocol === "https:";
      const port = url.port || (secure ? "2376" : "2375");
      this.base = `${secure ? "https" : "http"}://${url.hostname}:${port}/v${apiVersion}`;
      if (secure) {
        const { readFileSync } = nodeFs();
        this.tlsOptions = {
          ca: opts.tlsCaCert && readFileSync(opts.tlsCaCert, "utf8"),
          cert: opts.tlsCert && readFileSync(opts.tlsCert, "utf8"),
          key: opts.tlsKey && readFileSync(opts.tlsKey, "utf8"),
          rejectUnauthorized: !!opts.tlsVerify,
        };
      }
    } else {
      throw hostError(opts.host);
    }
  }

  /** The TLS options for hijacked connections (node:tls). */
  get tlsConfig() {
    return this.tlsOptions;
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
    // A streamed body may be partly read by a failed attempt: make sure of the daemon before sending one.
    if (this.whenUnreachable && body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array) && !(await this.ping())) await this.startDaemon();
    const send = () => fetch(url, {
      method, headers, body, signal: init.signal,
      unix: this.unix, tls: this.tlsOptions, duplex: "half", decompress: false, timeout: false,
    } as RequestInit);
    const unreachable = () => new ConnectError(`Cannot connect to the berth daemon at ${this.opts.host}. Is the berth daemon running?`);
    let res: Response;
    try {
      res = await send();
    } catch (e) {
      // No socket, or no one listening on it: the request never left, so it can be made again.
      if (!this.whenUnreachable || !["ENOENT", "ECONNREFUSED"].includes(errnoCode(e) ?? "")) throw unreachable();
      await this.startDaemon(); // its own error says why no daemon answers
      res = await send().catch(() => {
        throw unreachable();
      });
    }
    if (res.status >= 400) {
      const text = await res.text();
      let message = text.trim();
      try {
        message = JSON.parse(text).message ?? message;
      } catch {
        // not JSON (a proxy's page, say): the text itself is the message
      }
      // An answer with no message (a 408 from the HTTP layer, say) is named as the docker CLI names it, never left empty.
      if (!message) message = `request returned ${res.status} ${res.statusText || ""}`.trim() + ` for API route and version ${url.pathname}, check if the server supports the requested API version`;
      throw new ApiError(res.status, message);
    }
    return res;
  }

  private async startDaemon(): Promise<void> {
    const start = this.whenUnreachable!;
    this.whenUnreachable = undefined;
    await start();
  }

  async json<T = any>(method: string, path: string, init: Parameters<Client["request"]>[2] = {}): Promise<T> {
    const res = await this.request(method, path, init);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(`${this.base.replace(/\/v[\d.]+$/, "")}/_ping`, {
        unix: this.unix, tls: this.tlsOptions, timeout: false,
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
  try {
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
  } finally {
    // A reader that stops early (an error printing a message) closes the stream, so that an open one
    // (events, stats) does not keep the process alive; one read to its end has nothing to cancel.
    reader.cancel().catch(() => {}); // a stream already closed or failed: nothing left to close
  }
}
