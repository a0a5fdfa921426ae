// `berth registry serve`: an OCI distribution-spec registry over a directory.
import { RegistryStorage } from "./storage/index.ts";
import { createRegistryApp } from "./app.ts";
import { Htpasswd } from "./auth.ts";
import { serve, type TlsFiles } from "./http.ts";

export { gc, type GcOptions, type GcResult } from "./gc.ts";
export { createRegistryApp } from "./app.ts";
export { RegistryStorage } from "./storage/index.ts";

export interface RegistryServerOptions {
  /** Storage directory (created when missing). */
  root: string;
  /** "HOST:PORT" ("127.0.0.1:0" picks a free port). Default 127.0.0.1:5000. */
  addr?: string;
  /** htpasswd file (bcrypt or {SHA}); when set every request needs Basic auth. */
  htpasswd?: string;
  tls?: TlsFiles;
  onError?: (e: unknown, req: Request) => void;
}

export interface RegistryServer {
  /** "http://127.0.0.1:5000" */
  url: string;
  /** "127.0.0.1:5000", what goes into image references. */
  host: string;
  close(): Promise<void>;
}

export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid address ${JSON.stringify(addr)}: want HOST:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in ${JSON.stringify(addr)}`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

export async function createRegistryServer(opts: RegistryServerOptions): Promise<RegistryServer> {
  const storage = new RegistryStorage(opts.root);
  const htpasswd = opts.htpasswd ? new Htpasswd(opts.htpasswd) : undefined;
  const app = createRegistryApp({ storage, htpasswd, onError: opts.onError });
  const { host, port } = parseAddr(opts.addr ?? "127.0.0.1:5000");
  const listening = await serve(app, host, port, opts.tls);
  return { url: listening.url, host: new URL(listening.url).host, close: listening.close };
}
