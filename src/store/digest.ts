// Digest strings come from untrusted manifests and archives and end up in
// file paths, so every one is validated before use.
import { InvalidDataError } from "../errors.ts";

export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const HEX_RE = /^[0-9a-f]{64}$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === "string" && DIGEST_RE.test(s);
}

/** Returns the digest unchanged when valid; throws InvalidDataError otherwise. */
export function checkDigest(s: unknown, what = "digest"): Digest {
  if (isDigest(s)) return s;
  if (typeof s === "string" && /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:/.test(s) && !s.startsWith("sha256:")) {
    throw new InvalidDataError(`unsupported ${what} algorithm: ${s.slice(0, s.indexOf(":"))}`);
  }
  throw new InvalidDataError(`invalid ${what}: ${JSON.stringify(String(s).slice(0, 100))}`);
}

export function digestHex(d: Digest): string {
  return d.slice(7);
}

export function hexToDigest(hex: string): Digest {
  if (!HEX_RE.test(hex)) throw new InvalidDataError(`invalid digest hex: ${JSON.stringify(hex.slice(0, 100))}`);
  return `sha256:${hex}`;
}

/** SHA-256 of bytes or a string, as a digest string. */
export function sha256Of(data: Uint8Array | string): Digest {
  const h = new Bun.CryptoHasher("sha256");
  h.update(data);
  return `sha256:${h.digest("hex")}`;
}
