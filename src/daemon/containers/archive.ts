// `docker cp` and `docker export` on the daemon side: a container's root seen
// from the host (/proc/PID/root while it runs, its overlay mounted read-write
// meanwhile when it does not), with paths resolved inside that root so a
// symlink in the container never leads out of it.
import { lstatSync, statSync, readlinkSync, mkdtempSync, rmSync, type Stats } from "node:fs";
import { basename, join } from "node:path";
import { InvalidParameterError, NotFoundError } from "../../errors.ts";
import { mount, umount2, MS } from "../../runtime/libc.ts";
import { Scope, entryParts } from "../../layer/apply/scope.ts";
import { pathEntries, directoryEntries } from "../../layer/diff.ts";
import { applyLayer } from "../../layer/apply.ts";
import { tarStream } from "../../layer/tar/write.ts";
import type { ContainerRecord } from "./records.ts";
import type { ContainerPaths } from "./views.ts";

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

/** Runs `fn` with a host path to the container's root; mounts the overlay for a stopped container. */
export async function withRoot<T>(c: ContainerRecord, p: ContainerPaths, fn: (root: string) => Promise<T> | T, copied = false): Promise<T> {
  if (c.state.Running) return fn(`/proc/${c.state.Pid}/root`);
  if (copied) return fn(p.upperDir);
  mount("overlay", p.mergedDir, "overlay", 0, `lowerdir=${p.lowerDirs.join(":")},upperdir=${p.upperDir},workdir=${p.workDir}`);
  try {
    return await fn(p.mergedDir);
  } finally {
    umount2(p.mergedDir, 2);
  }
}

/**
 * Runs `fn` over a read-only view of the container's files (its upper dir over
 * the image's layers): what `docker cp` reads and `docker export` writes,
 * without the /proc, /sys and /dev a running container has mounted.
 */
export async function withReadView<T>(p: ContainerPaths, fn: (root: string) => Promise<T> | T, copied = false): Promise<T> {
  if (copied) return fn(p.upperDir); // vfs: the upper dir is the whole root
  const view = mkdtempSync(join(p.root, "view-"));
  mount("overlay", view, "overlay", MS.RDONLY, `lowerdir=${[p.upperDir, ...p.lowerDirs].join(":")}`);
  try {
    return await fn(view);
  } finally {
    umount2(view, 2);
    rmSync(view, { recursive: true, force: true });
  }
}

/**
 * A stream made over a read-only view that stays mounted until the stream
 * ends, fails or is cancelled, so `docker cp`/`export` of a large container
 * streams instead of being held in memory.
 */
export function streamFromReadView(p: ContainerPaths, copied: boolean, make: (root: string) => ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let release = () => {};
  let root = p.upperDir;
  if (!copied) {
    const view = mkdtempSync(join(p.root, "view-"));
    mount("overlay", view, "overlay", MS.RDONLY, `lowerdir=${[p.upperDir, ...p.lowerDirs].join(":")}`);
    root = view;
    release = () => {
      umount2(view, 2);
      rmSync(view, { recursive: true, force: true });
    };
  }
  let reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> };
  try {
    reader = make(root).getReader();
  } catch (e) {
    release();
    throw e;
  }
  let released = false;
  const finish = () => {
    if (!released) (released = true), release();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await reader.read();
        if (r.done) {
          finish();
          controller.close();
        } else controller.enqueue(r.value!);
      } catch (e) {
        finish();
        controller.error(e);
      }
    },
    cancel(reason) {
      // Unmount first (lazily: files the tar writer still has open stay readable); the
      // producer's own cancel may wait on a read in flight.
      finish();
      reader.cancel(reason).catch(() => {});
    },
  });
}

/** The host path of `path` inside `root`; the last component is not followed. */
export function resolveIn(root: string, path: string): { host: string; parts: string[] } {
  const parts = entryParts(path);
  if (parts.length === 0) return { host: root, parts };
  const parent = new Scope(root).existingDir(parts.slice(0, -1), path);
  if (parent === undefined) throw new NotFoundError(`Could not find the file ${path} in container`);
  return { host: `${parent}/${parts[parts.length - 1]}`, parts };
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

/** A tar of `path` (its base name as the top entry), as `GET /archive` sends it. */
export function archivePath(root: string, path: string, rootName?: string): ReadableStream<Uint8Array> {
  const { host, parts } = resolveIn(root, path);
  if (!lstatSync(host, { throwIfNoEntry: false })) throw new NotFoundError(`Could not find the file ${path} in container`);
  if (parts.length) return tarStream(pathEntries(host, basename(host)));
  return rootName ? tarStream(pathEntries(host, rootName)) : tarStream(directoryEntries(host));
}

/** Extracts a tar into the directory `path` (which must exist), as `PUT /archive` does. */
export async function extractInto(root: string, path: string, tar: ReadableStream<Uint8Array>): Promise<void> {
  const parts = entryParts(path);
  const dir = parts.length ? new Scope(root).existingDir(parts, path) : root;
  if (dir === undefined) throw new NotFoundError(`Could not find the file ${path} in container`);
  if (!statSync(dir).isDirectory()) throw new InvalidParameterError(`extraction point is not a directory`);
  await applyLayer(tar, dir, { whiteoutMode: "delete", resolvedTarget: true });
}
