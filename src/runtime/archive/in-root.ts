// The file operations of `docker cp` and `export` on a root directory: stat a
// path, tar it, extract a tar into it. Paths are resolved inside `root` (a
// symlink never leads out of it), but by path strings: against a root that a
// running container can change meanwhile, call them through chroot-archive.ts,
// whose process has that root as its "/".
import { lstatSync, statSync, readlinkSync, type Stats } from "node:fs";
import { basename } from "node:path";
import { InvalidParameterError, NotFoundError } from "../../errors.ts";
import { Scope, entryParts } from "../../layer/apply/scope.ts";
import { pathEntries, directoryEntries } from "../../layer/diff.ts";
import { applyLayer, type ApplyOptions } from "../../layer/apply.ts";
import { tarStream } from "../../layer/tar/write.ts";
import { withOwners, type OwnerMap } from "../../layer/tar/owners.ts";

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go's os.FileMode bits for the stat header Docker clients decode. */
function goMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m |= 0x80000000;
  if (st.isSymbolicLink()) m |= 0x08000000;
  return m >>> 0;
}

/** The host path of `path` inside `root`; the last component is not followed. */
export function resolveIn(root: string, path: string): { host: string; parts: string[] } {
  const parts = entryParts(path);
  if (parts.length === 0) return { host: root, parts };
  const parent = new Scope(root).existingDir(parts.slice(0, -1), path);
  if (parent === undefined) throw new NotFoundError(`Could not find the file ${path} in container`);
  return { host: `${parent === "/" ? "" : parent}/${parts[parts.length - 1]}`, parts };
}

/** `rootName`: what the root itself is called (a mount's directory name; "/" for the container's root). */
export function statPath(root: string, path: string, rootName = "/"): PathStat {
  const { host, parts } = resolveIn(root, path);
  const st = lstatSync(host, { throwIfNoEntry: false });
  if (!st) throw new NotFoundError(`Could not find the file ${path} in container`);
  return {
    name: parts.length ? parts[parts.length - 1]! : rootName,
    size: st.size,
    mode: goMode(st),
    mtime: st.mtime.toISOString(),
    linkTarget: st.isSymbolicLink() ? readlinkSync(host) : "",
  };
}

/** A tar of `path` (its base name as the top entry), as `GET /archive` sends it; `owner` translates the files' owners. */
export function archivePath(root: string, path: string, rootName?: string, owner?: OwnerMap): ReadableStream<Uint8Array> {
  const { host, parts } = resolveIn(root, path);
  if (!lstatSync(host, { throwIfNoEntry: false })) throw new NotFoundError(`Could not find the file ${path} in container`);
  const entries = parts.length ? pathEntries(host, basename(host)) : rootName ? pathEntries(host, rootName) : directoryEntries(host);
  return tarStream(withOwners(entries, owner));
}

/** Extracts a tar into the directory `path` (which must exist), as `PUT /archive` does; `hostOwner` shifts the tar's owners. */
export async function extractInto(root: string, path: string, tar: ReadableStream<Uint8Array>, hostOwner?: ApplyOptions["hostOwner"]): Promise<void> {
  const parts = entryParts(path);
  const dir = parts.length ? new Scope(root).existingDir(parts, path) : root;
  if (dir === undefined) throw new NotFoundError(`Could not find the file ${path} in container`);
  if (!statSync(dir).isDirectory()) throw new InvalidParameterError(`extraction point is not a directory`);
  await applyLayer(tar, dir, { whiteoutMode: "delete", resolvedTarget: true, hostOwner });
}
