// A build context named by URL (`remote=` of POST /build, `berth build URL`):
// the daemon downloads it and takes it as a client-sent body, a tar of any
// compression or a lone Dockerfile. Git repositories would need git, which
// berth does not run.
import { InvalidParameterError } from "../../errors.ts";

/** Docker's test for a Git context: a git scheme, git@host:, or an http(s) URL ending in .git (optionally #ref). */
export function isGitUrl(url: string): boolean {
  return /^git:\/\//.test(url) || /^git@[^:]+:/.test(url) || /^https?:\/\/[^#]+\.git(#.*)?$/.test(url);
}

export async function fetchRemoteContext(url: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array> | null> {
  if (isGitUrl(url)) throw new InvalidParameterError(`unable to prepare context: ${url} is a Git repository, and berth does not run git: clone it and build the directory`);
  if (!/^https?:\/\//.test(url)) throw new InvalidParameterError(`unable to prepare context: remote context ${url} is not an http(s) URL`);
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: "follow" });
  } catch (e) {
    throw new InvalidParameterError(`unable to prepare context: error downloading remote context ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new InvalidParameterError(`unable to prepare context: error downloading remote context ${url}: failed to GET ${url} with status ${res.status} ${res.statusText}`.trimEnd());
  }
  return res.body;
}
