// ADD https://…: the file is fetched into the step's scratch dir (streamed to
// disk), checked against --checksum when given, and copied like a local file
// named after the URL's last path segment, mode 0600 and the server's
// Last-Modified time as Docker does. Archives from a URL are not extracted.
import { chmodSync, utimesSync } from "node:fs";
import { join, posix } from "node:path";
import { InvalidParameterError, messageOf } from "../../errors.ts";
import type { Source } from "./copy-sources.ts";
import { dirTree } from "../fs/source-tree.ts";

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

export async function fetchUrl(url: string, dir: string, checksum: string | undefined, signal: AbortSignal): Promise<Source> {
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: "follow" });
  } catch (e) {
    throw new InvalidParameterError(`failed to fetch ${url}: ${messageOf(e)}`);
  }
  if (res.status >= 400) throw new InvalidParameterError(`Got HTTP status code >= 400: ${res.status} ${res.statusText}`);
  const name = posix.basename(new URL(url).pathname) || "__unnamed__";
  const path = join(dir, name);
  const hash = new Bun.CryptoHasher("sha256");
  const sink = Bun.file(path).writer();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    sink.write(chunk);
  }
  await sink.end();
  const digest = `sha256:${hash.digest("hex")}`;
  if (checksum !== undefined && checksum !== digest) throw new InvalidParameterError(`digest mismatch ${digest}: ${checksum}`);
  chmodSync(path, 0o600);
  const modified = Date.parse(res.headers.get("last-modified") ?? "");
  if (!Number.isNaN(modified)) utimesSync(path, new Date(modified), new Date(modified));
  return { rel: name, tree: dirTree(dir), path: name, verbatim: true };
}
