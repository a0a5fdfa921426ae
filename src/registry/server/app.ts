// The distribution API as a Hono app. Repository names contain slashes, so
// /v2/* paths are matched here by their suffix (…/manifests/<ref>,
// …/blobs/uploads/<id>, …/blobs/<digest>, …/tags/list, …/referrers/<digest>).
import { Hono } from "hono";
import { RegistryHttpError, errorResponse, API_VERSION_HEADER } from "./errors.ts";
import { checkName } from "./names.ts";
import { BASIC_REALM, type Htpasswd } from "./auth.ts";
import type { RegistryStorage } from "./storage/index.ts";
import type { RouteContext } from "./routes/context.ts";
import { deleteBlob, getBlob } from "./routes/blobs.ts";
import { deleteUpload, getUpload, patchUpload, postUpload, putUpload } from "./routes/uploads.ts";
import { deleteManifest, getManifest, putManifest } from "./routes/manifests.ts";
import { catalog, listTags, referrers, search } from "./routes/listings.ts";

type Handler = (ctx: RouteContext, arg: string) => Response | Promise<Response>;
type Table = Record<string, Handler>;

const ROUTES: [RegExp, Table][] = [
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest }],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, { POST: (c) => postUpload(c) }],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, { PATCH: patchUpload, PUT: putUpload, GET: getUpload, DELETE: deleteUpload }],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob }],
  [/^\/v2\/(.+)\/tags\/list$/, { GET: (c) => listTags(c) }],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, { GET: referrers }],
];

export interface RegistryAppOptions {
  storage: RegistryStorage;
  htpasswd?: Htpasswd;
  /** Called for each request that fails with a server error (for logs). */
  onError?: (e: unknown, req: Request) => void;
}

export function createRegistryApp(opts: RegistryAppOptions): Hono {
  const { storage, htpasswd } = opts;
  const app = new Hono();

  app.use("*", async (c, next) => {
    if (htpasswd && !(await htpasswd.check(c.req.header("authorization") ?? null))) {
      return errorResponse(
        new RegistryHttpError("UNAUTHORIZED", undefined, null, 401, { "WWW-Authenticate": `Basic realm="${BASIC_REALM}"` }),
        c.req.method === "HEAD",
      );
    }
    await next();
  });

  app.onError((e, c) => {
    if (e instanceof RegistryHttpError) return errorResponse(e, c.req.method === "HEAD");
    opts.onError?.(e, c.req.raw);
    return errorResponse(new RegistryHttpError("UNKNOWN", String((e as Error)?.message ?? e), null, 500), c.req.method === "HEAD");
  });

  const base = (c: { req: { method: string } }) =>
    new Response(c.req.method === "HEAD" ? null : "{}", {
      status: 200,
      headers: { ...API_VERSION_HEADER, "Content-Type": "application/json; charset=utf-8", "Content-Length": "2" },
    });
  app.on(["GET", "HEAD"], "/v2", base);
  app.on(["GET", "HEAD"], "/v2/", base);
  app.get("/v2/_catalog", (c) => catalog(storage, new URL(c.req.url)));
  app.get("/v1/search", (c) => search(storage, new URL(c.req.url)));

  app.all("/v2/*", async (c) => {
    const url = new URL(c.req.url);
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      throw new RegistryHttpError("NAME_INVALID", "invalid path encoding");
    }
    for (const [re, table] of ROUTES) {
      const m = re.exec(path);
      if (!m) continue;
      const handler = table[c.req.method];
      if (!handler) throw new RegistryHttpError("UNSUPPORTED", `method ${c.req.method} not allowed here`);
      const name = checkName(m[1]!);
      return handler({ storage, req: c.req.raw, url, name }, m[2] ?? "");
    }
    throw new RegistryHttpError("NOT_FOUND", "page not found", null, 404);
  });

  app.notFound(() => errorResponse(new RegistryHttpError("NOT_FOUND", "page not found", null, 404)));
  return app;
}
