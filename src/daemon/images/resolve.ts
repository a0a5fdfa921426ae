// Image lookup by the names users type: full or short ID (with or without
// "sha256:"), name[:tag], name@digest.
import { InvalidParameterError, NotFoundError } from "../../errors.ts";
import type { Store } from "../../store/index.ts";
import type { Digest } from "../../store/digest.ts";
import { familiarString, formatReference, parseReference, repositoryName, withDefaultTag, type Reference } from "../../image/reference.ts";

export interface Resolved {
  id: Digest;
  /** The stored reference the name matched, when it was a name. */
  ref?: string;
}

const ID_PREFIX = /^(?:sha256:)?([0-9a-f]{1,64})$/;

export function noSuchImage(name: string): NotFoundError {
  let shown = name;
  try {
    if (!ID_PREFIX.test(name)) shown = familiarString(withDefaultTag(parseReference(name)));
  } catch {
    /* keep the input */
  }
  return new NotFoundError(`No such image: ${shown}`);
}

function byIdPrefix(store: Store, name: string): Digest | undefined {
  const m = ID_PREFIX.exec(name);
  if (!m) return undefined;
  const ids = store.images.findByIdPrefix(m[1]!);
  if (ids.length > 1) throw new InvalidParameterError(`multiple IDs found with provided prefix: ${m[1]}`);
  return ids[0];
}

function byReference(store: Store, ref: Reference): Resolved | undefined {
  const full = formatReference(withDefaultTag(ref));
  const row = store.images.getRef(full);
  if (row) return { id: row.image_id, ref: full };
  if (ref.digest) {
    // A manifest we hold under that digest, for an image of that repository (or any, as Docker's content store does).
    const hits = store.db
      .query<{ image_id: Digest }, [string]>("SELECT image_id FROM manifests WHERE digest = ?")
      .all(ref.digest);
    const repo = repositoryName(ref);
    const inRepo = hits.find((h) => store.images.refsOf(h.image_id).some((r) => r.name.startsWith(`${repo}:`) || r.name.startsWith(`${repo}@`)));
    const hit = inRepo ?? hits[0];
    if (hit) return { id: hit.image_id };
  }
  return undefined;
}

/** Finds an image; throws NotFoundError("No such image: x") like Docker. */
export function resolveImage(store: Store, name: string): Resolved {
  if (/^(sha256:)?[0-9a-f]{64}$/.test(name)) {
    const id = `sha256:${name.replace(/^sha256:/, "")}` as Digest;
    if (store.images.get(id)) return { id };
    throw noSuchImage(name);
  }
  let ref: Reference | undefined;
  try {
    ref = parseReference(name);
  } catch (e) {
    if (!ID_PREFIX.test(name)) throw e;
  }
  if (ref) {
    const r = byReference(store, ref);
    if (r) return r;
  }
  const id = byIdPrefix(store, name);
  if (id) return { id };
  throw noSuchImage(name);
}

/** True when `name` was given as an ID (or ID prefix) rather than a name. */
export function isIdLookup(store: Store, name: string): boolean {
  return resolveImage(store, name).ref === undefined;
}
