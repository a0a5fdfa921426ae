// Streaming blob download, verified as it goes: bytes beyond the descriptor's
// size stop it at once, and the SHA-256 is checked at the end (the last
// chunk is only followed by a normal end when it matches). A dropped
// connection or a 5xx resumes with `Range: bytes=<offset>-`, with backoff and
// a bounded number of consecutive failures.
import { InvalidDataError } from "../../errors.ts";
import { freeChunk } from "../../shared/free-chunk.ts";
import { pullScope } from "./auth.ts";
import { errorFromResponse, RegistryError } from "./errors.ts";
import type { Endpoint } from "./endpoints.ts";
import { sleep, type RegistryTransport } from "./transport.ts";

export interface ReadBlobOptions {
  signal?: AbortSignal;
  /** Bytes received so far (after verification of the size bound). */
  onProgress?: (current: number, total: number) => void;
  /** Consecutive failures tolerated (default: the transport's retries). */
  retries?: number;
  /** Called before each resume attempt (for logs and tests). */
  onRetry?: (offset: number, error: unknown) => void;
  /** Where to go on when `ep` (a mirror) fails for good: the origin registry, resumed at the same offset. */
  fallback?: Endpoint;
  /**
   * The caller is done with each chunk before it asks for the next: its memory
   * is freed then (see shared/free-chunk.ts), and the next chunk reuses it.
   */
  transient?: boolean;
}

function isPermanent(e: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  if (e instanceof InvalidDataError) return true;
  if (e instanceof RegistryError) return !e.transient;
  return false;
}

export async function* readBlob(
  transport: RegistryTransport,
  firstEndpoint: Endpoint,
  repo: string,
  desc: { digest: string; size: number },
  opts: ReadBlobOptions = {},
): AsyncGenerator<Uint8Array> {
  if (!/^sha256:[0-9a-f]{64}$/.test(desc.digest)) throw new InvalidDataError(`unsupported blob digest: ${desc.digest}`);
  const hasher = new Bun.CryptoHasher("sha256");
  let ep = firstEndpoint;
  const retries = opts.retries ?? transport.retries;
  let offset = 0;
  let failures = 0;
  let fallback = opts.fallback;
  const fail = async (e: unknown) => {
    const givingUp = isPermanent(e, opts.signal) || failures >= retries;
    // Bad bytes are not the mirror's connection failing: those stay errors.
    if (givingUp && fallback && !opts.signal?.aborted && !(e instanceof InvalidDataError)) {
      opts.onRetry?.(offset, e);
      ep = fallback;
      fallback = undefined;
      failures = 0;
      return;
    }
    if (givingUp) throw e;
    opts.onRetry?.(offset, e);
    await sleep(transport.retryDelayMs * 2 ** failures, opts.signal);
    failures++;
  };

  for (;;) {
    let res: Response;
    let url: string;
    try {
      ({ res, url } = await transport.request(ep, {
        method: "GET",
        path: `/v2/${repo}/blobs/${desc.digest}`,
        scopes: [pullScope(repo)],
        headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
        signal: opts.signal,
        retry: false,
      }));
    } catch (e) {
      await fail(e);
      continue;
    }
    if (!res.ok) {
      await fail(await errorFromResponse(res, "GET", url));
      continue;
    }
    let skip = 0;
    if (offset > 0) {
      const start = res.status === 206 ? Number(/^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1] ?? offset) : 0;
      if (start > offset) throw new RegistryError(`registry resumed blob ${desc.digest} at ${start}, wanted ${offset}`, undefined, res.status);
      skip = offset - start;
    }
    const before = offset;
    try {
      for await (const received of (res.body ?? []) as AsyncIterable<Uint8Array>) {
        let chunk = received;
        if (skip > 0) {
          if (chunk.byteLength <= skip) { skip -= chunk.byteLength; continue; }
          chunk = chunk.subarray(skip);
          skip = 0;
        }
        if (offset + chunk.byteLength > desc.size) {
          throw new InvalidDataError(`size mismatch for blob ${desc.digest}: more than the expected ${desc.size} bytes`);
        }
        hasher.update(chunk);
        offset += chunk.byteLength;
        opts.onProgress?.(offset, desc.size);
        yield chunk;
        if (opts.transient) freeChunk(received);
      }
    } catch (e) {
      if (offset > before) failures = 0;
      await fail(e);
      continue;
    }
    if (offset < desc.size) {
      if (offset > before) failures = 0;
      await fail(new RegistryError(`unexpected EOF reading blob ${desc.digest} at ${offset} of ${desc.size} bytes`, undefined, 0));
      continue;
    }
    break;
  }
  const actual = `sha256:${hasher.digest("hex")}`;
  if (actual !== desc.digest) {
    throw new InvalidDataError(`digest mismatch for blob ${desc.digest}: the registry sent content with digest ${actual}`);
  }
}
