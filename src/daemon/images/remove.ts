// `docker rmi`: untag and delete with Docker's refusals and wording.
import { ConflictError } from "../../errors.ts";
import type { Store } from "../../store/index.ts";
import type { Digest } from "../../store/digest.ts";
import { familiarize, parseReference, repositoryName } from "../../image/reference.ts";
import type { ImageDeleteItem } from "../image-service.ts";
import { resolveImage } from "./resolve.ts";

export type ImageInUse = (imageId: string) => string[] | Promise<string[]>;

const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

export async function removeImage(
  store: Store,
  name: string,
  opts: { force?: boolean; noprune?: boolean },
  inUse: ImageInUse,
): Promise<ImageDeleteItem[]> {
  const { id, ref } = resolveImage(store, name);
  const out: ImageDeleteItem[] = [];
  const users = await inUse(id);

  if (ref) {
    if (users.length > 0 && !opts.force) {
      const remaining = store.images.refsOf(id).filter((r) => r.name !== ref);
      if (remaining.length === 0) {
        throw new ConflictError(
          `conflict: unable to remove repository reference "${name}" (must force) - container ${short(users[0]!)} is using its referenced image ${short(id)}`,
        );
      }
    }
    store.images.deleteRef(ref);
    out.push({ Untagged: familiarize(ref) });
    out.push(...untagOrphanDigests(store, id, ref));
    if (store.images.refsOf(id).length > 0 || users.length > 0) return out;
  } else {
    const refs = store.images.refsOf(id);
    const repos = new Set(refs.map((r) => repositoryName(parseReference(r.name))));
    if (repos.size > 1 && !opts.force) {
      throw new ConflictError(`conflict: unable to delete ${short(id)} (must be forced) - image is referenced in multiple repositories`);
    }
    if (users.length > 0 && !opts.force) {
      throw new ConflictError(`conflict: unable to delete ${short(id)} (must be forced) - image is being used by stopped container ${short(users[0]!)}`);
    }
    if (store.images.children(id).length > 0) {
      throw new ConflictError(`conflict: unable to delete ${short(id)} (cannot be forced) - image has dependent child images`);
    }
    store.db.transaction(() => {
      for (const r of refs) store.images.deleteRef(r.name);
    }).immediate();
    for (const r of refs) out.push({ Untagged: familiarize(r.name) });
    if (users.length > 0) return out; // forced: untagged, kept for its containers
  }

  if (store.images.children(id).length > 0) return out;
  out.push(...(await deleteImageAndParents(store, id, opts.noprune ?? false, inUse)));
  return out;
}

/**
 * When the last tag of a repository goes, its digest references (left by a
 * pull) go too, as dockerd does; otherwise `rmi repo:tag` after a pull would
 * never delete the image.
 */
function untagOrphanDigests(store: Store, id: Digest, removed: string): ImageDeleteItem[] {
  const removedRef = parseReference(removed);
  if (removedRef.digest !== undefined) return [];
  const repo = repositoryName(removedRef);
  const refs = store.images.refsOf(id).map((r) => ({ name: r.name, ref: parseReference(r.name) }));
  if (refs.some((r) => r.ref.digest === undefined && repositoryName(r.ref) === repo)) return [];
  const out: ImageDeleteItem[] = [];
  for (const r of refs) {
    if (r.ref.digest === undefined || repositoryName(r.ref) !== repo) continue;
    store.images.deleteRef(r.name);
    out.push({ Untagged: familiarize(r.name) });
  }
  return out;
}

async function deleteImageAndParents(store: Store, id: Digest, noprune: boolean, inUse: ImageInUse): Promise<ImageDeleteItem[]> {
  const out: ImageDeleteItem[] = [];
  let current: Digest | undefined = id;
  while (current) {
    const row = store.images.get(current);
    if (!row) break;
    store.images.deleteImage(current);
    out.push({ Deleted: current });
    const parent = row.parent as Digest;
    current = undefined;
    if (!noprune && parent && store.images.get(parent) && store.images.refsOf(parent).length === 0 && store.images.children(parent).length === 0 && (await inUse(parent)).length === 0) {
      current = parent;
    }
  }
  const { snapshots } = await store.gc();
  for (const s of snapshots) out.push({ Deleted: s });
  return out;
}
