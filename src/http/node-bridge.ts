// A fetch-style app (Hono) served through node:http, bodies streamed both ways
// (image loads and saves, registry blobs: they can be GBs). The Engine API and
// the registry server both sit on node:http rather than Bun.serve: the API
// needs the raw socket of hijacked streams (see api/server.ts).
import type http from "node:http";
import { discard } from "../shared/discard.ts";

export interface FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** Request headers → fetch Headers. */
function fetchHeaders(req: http.IncomingMessage): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  return headers;
}

/** Waits until the response can take more, or the client is gone; leaves no listener behind. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done).off("close", done);
      resolve();
    };
    res.on("drain", done).on("close", done);
  });
}

/** Answers `req` with `app.fetch` of a Request for `url`; a client that goes away aborts it. */
export async function bridge(app: FetchApp, req: http.IncomingMessage, res: http.ServerResponse, url: string): Promise<void> {
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && req.method !== "DELETE";
  const request = new Request(url, {
    method: req.method,
    headers: fetchHeaders(req),
    body: hasBody ? (req as unknown as AsyncIterable<Uint8Array> as any) : undefined,
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
    void discard(response.body);
    return void res.end();
  }
  // The head goes out now: a streamed answer (events, a pull's progress) may wait for its first bytes.
  res.flushHeaders();
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res);
      if (abort.signal.aborted) break;
    }
  } catch {
    // The client went away mid-stream, or the producer failed after the head was sent.
  } finally {
    void discard(reader);
    res.end();
  }
}
