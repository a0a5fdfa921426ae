// Docker image references: grammar, normalisation and familiar display.
//   busybox            → docker.io/library/busybox:latest
//   localhost:5000/a/b → localhost:5000/a/b:latest
//   x@sha256:…         → docker.io/library/x@sha256:…
import { InvalidParameterError } from "../errors.ts";

export const DEFAULT_DOMAIN = "docker.io";
export const DEFAULT_TAG = "latest";

export interface Reference {
  /** Registry host[:port], e.g. "docker.io", "localhost:5000". */
  domain: string;
  /** Repository path, e.g. "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
}

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const ID_RE = /^[a-f0-9]{64}$/;
const NAME_MAX = 255;

export function invalidReference(detail?: string): InvalidParameterError {
  return new InvalidParameterError(detail ? `invalid reference format: ${detail}` : "invalid reference format");
}

/** Parses and normalises a reference; no default tag is added (see withDefaultTag). */
export function parseReference(input: string): Reference {
  if (typeof input !== "string" || input === "") throw invalidReference();
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw invalidReference();
    if (digest.startsWith("sha256:") && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw invalidReference();
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalidReference();
  }
  if (ID_RE.test(rest)) {
    throw new InvalidParameterError(`invalid repository name (${rest}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, path] = splitDomain(rest);
  if (domain !== undefined && !DOMAIN_RE.test(domain)) throw invalidReference();
  if (!PATH_RE.test(path)) {
    if (PATH_RE.test(path.toLowerCase())) throw invalidReference("repository name must be lowercase");
    throw invalidReference();
  }
  const ref: Reference = { domain: domain ?? DEFAULT_DOMAIN, path };
  if (ref.domain === DEFAULT_DOMAIN && !path.includes("/")) ref.path = `library/${path}`;
  if (`${ref.domain}/${ref.path}`.length > NAME_MAX) throw invalidReference("repository name must not be more than 255 characters");
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function splitDomain(name: string): [string | undefined, string] {
  const i = name.indexOf("/");
  if (i === -1) return [undefined, name];
  const first = name.slice(0, i);
  const looksLikeHost = /[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first;
  if (!looksLikeHost) return [undefined, name];
  const domain = first === "index.docker.io" ? DEFAULT_DOMAIN : first;
  return [domain, name.slice(i + 1)];
}

export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** Parse + default tag: what `docker pull busybox` means. */
export function normalizeReference(input: string): Reference {
  return withDefaultTag(parseReference(input));
}

/** docker.io/library/busybox */
export function repositoryName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** Full normalised string: docker.io/library/busybox:latest[@sha256:…] */
export function formatReference(ref: Reference): string {
  let s = repositoryName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** busybox, user/app, localhost:5000/app — the short form Docker displays. */
export function familiarRepository(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  return ref.path.startsWith("library/") && ref.path.split("/").length === 2 ? ref.path.slice(8) : ref.path;
}

export function familiarString(ref: Reference): string {
  let s = familiarRepository(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Familiar form of a stored full name ("docker.io/library/busybox:latest" → "busybox:latest"). */
export function familiarize(fullName: string): string {
  return familiarString(parseReference(fullName));
}
