// API version handling and the headers every Engine API reply carries.
import { apiVersion, minApiVersion, version } from "../version.ts";

/** The request header the server sets to the client's API version, for routes whose behaviour changed between versions. */
export const apiVersionHeader = "x-berth-api-version";

const versionPrefix = /^\/v(\d+)\.(\d+)(\/.*)$/;

export function compareApiVersion(a: string, b: string): number {
  const [a1, a2] = a.split(".").map(Number);
  const [b1, b2] = b.split(".").map(Number);
  return a1! - b1! || a2! - b2!;
}

/**
 * Strips a `/v1.NN` prefix (unversioned paths are served as the newest
 * version); returns Docker's message for versions berth does not serve.
 */
export function routePath(url: string): { path: string; version: string; error?: string } {
  const m = versionPrefix.exec(url);
  if (!m) return { path: url, version: apiVersion };
  const v = `${m[1]}.${m[2]}`;
  if (compareApiVersion(v, minApiVersion) < 0) {
    return { path: m[3]!, version: v, error: `client version ${v} is too old. Minimum supported API version is ${minApiVersion}, please upgrade your client to a newer version` };
  }
  if (compareApiVersion(v, apiVersion) > 0) {
    return { path: m[3]!, version: v, error: `client version ${v} is too new. Maximum supported API version is ${apiVersion}` };
  }
  return { path: m[3]!, version: v };
}

/** Headers dockerd sets on every reply (the Server line names berth in Docker's format). */
export function apiHeaders(): Record<string, string> {
  return {
    "Api-Version": apiVersion,
    "Docker-Experimental": "false",
    Ostype: "linux",
    Server: `Berth/${version} (linux)`,
  };
}
