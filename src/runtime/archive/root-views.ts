// `docker cp` and `docker export`: a container's root seen from the host
// (/proc/PID/root while it runs, its overlay mounted read-write meanwhile
// when it does not), or a read-only view of its files. What runs in the root
// runs chrooted there (chroot-archive.ts), so a symlink never leads out of it.
import { closeSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { mount, umount2, MS } from "../libc.ts";
import { mountPoints } from "../host-mounts.ts";
import type { UserNamespace } from "../userns/id-map.ts";
import { userNamespaceOf } from "../userns/idmapped-mount.ts";
import { mountRemappedRootfs, mountRemappedView } from "../userns/remapped-rootfs.ts";
import { spawnMapped } from "../userns/spawn.ts";

/** Where a container's files are: its directory, its layers (top first) and its overlay dirs. */
export interface RootLayout {
  root: string;
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  mergedDir: string;
}

/**
 * Runs `fn` with a host path to the container's root (`pid` its running PID 1, or 0); mounts the
 * overlay for a stopped container, over idmapped layers as its start does when `userns` (a
 * remapped container's): a directory of the image that a write copies up is its root's, as it
 * would be had the container written there itself.
 */
export async function withRoot<T>(pid: number, p: RootLayout, fn: (root: string) => Promise<T> | T, copied = false, userns?: UserNamespace): Promise<T> {
  if (pid) return fn(`/proc/${pid}/root`);
  if (copied) return fn(p.upperDir);
  const unmount = userns ? mountMapped(p, userns) : mountPlain(p);
  try {
    return await fn(p.mergedDir);
  } finally {
    unmount();
  }
}

function mountPlain(p: RootLayout): () => void {
  mount("overlay", p.mergedDir, "overlay", 0, `lowerdir=${p.lowerDirs.join(":")},upperdir=${p.upperDir},workdir=${p.workDir}`);
  return () => umount2(p.mergedDir, 2);
}

function mountMapped(p: RootLayout, ns: UserNamespace): () => void {
  return inMapping(ns, (fd) => mountRemappedRootfs({ rootfs: p.mergedDir, lowerDirs: p.lowerDirs, upperDir: p.upperDir, workDir: p.workDir }, ns, fd));
}

/** The idmapped views need a user namespace with the mapping: a child made for it, which waits mapped until killed. */
function inMapping<T>(ns: UserNamespace, fn: (usernsFd: number) => T): T {
  const holder = spawnMapped(ns, ["/nonexistent"], ["ignore", "ignore", "ignore", "ignore"]);
  try {
    const fd = userNamespaceOf(holder.pid);
    try {
      return fn(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    holder.kill();
  }
}

/**
 * Runs `fn` over a read-only view of the container's files (its upper dir over
 * the image's layers): what `docker cp` reads and `docker export` writes,
 * without the /proc, /sys and /dev a running container has mounted.
 */
export async function withReadView<T>(p: RootLayout, fn: (root: string) => Promise<T> | T, copied = false): Promise<T> {
  if (copied) return fn(p.upperDir); // vfs: the upper dir is the whole root
  const view = mountReadView(p);
  try {
    return await fn(view);
  } finally {
    dropView(view);
  }
}

/**
 * A read-only overlay of the container's upper dir over its layers, at a new `view-XXXXXX` in its
 * directory; a remapped container's (`userns`) over idmapped views of its layers, so that its files
 * all show host owners (their views made in an `idmap-XXXXXX` beside, gone once mounted).
 */
function mountReadView(p: RootLayout, userns?: UserNamespace): string {
  const view = mkdtempSync(join(p.root, "view-"));
  try {
    // Chowned copies of the layers show the host's owners as they are.
    if (!userns || userns.chownedLayers) mount("overlay", view, "overlay", MS.RDONLY, `lowerdir=${[p.upperDir, ...p.lowerDirs].join(":")}`);
    else inMapping(userns, (fd) => mountRemappedView(view, p.upperDir, p.lowerDirs, fd, mkdtempSync(join(p.root, "idmap-"))));
  } catch (e) {
    rmSync(view, { recursive: true, force: true });
    throw e;
  }
  return view;
}

/** Detaches a view (lazily: a copy still reading keeps what it has open) and removes its directory. */
function dropView(view: string): void {
  try {
    umount2(view, 2);
  } catch {
    // Not mounted: a removal or a daemon start took it first, or it was never mounted.
  }
  rmSync(view, { recursive: true, force: true });
}

/** The read-only views in a container's directory, at its removal or at a daemon start: each detached and gone, with the idmapped views' stages left empty. */
export function releaseReadViews(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no directory, no views
  }
  for (const name of names) {
    if (name.startsWith("view-")) dropView(join(dir, name));
    else if (name.startsWith("idmap-")) dropStage(join(dir, name));
  }
}

/**
 * At daemon start, when no copy runs: the views a killed daemon left mounted,
 * in the containers' directories (`containers`) and in what an earlier
 * removal moved to `trash` (a `removed-` directory whose deletion then
 * stopped at the read-only view), so that those can be deleted. Also the
 * idmapped views of layers a remapped cp or export was making (`idmap-*`), the
 * start's own check of idmapped overlays (`trash`'s `idmap-check-*`), and the
 * root a cp into a stopped container mounted (`merged`, with the layers' views
 * in `idmapped/`): those of a container whose shim may be starting it
 * (`shimMayRun`), which mounts the same for a moment, are left to the shim.
 */
export function releaseStaleViews(containers: string, trash: string, shimMayRun: (containerDir: string) => boolean = () => false): void {
  const stale = mountPoints().filter((mp) => isStale(containers, trash, mp, shimMayRun));
  // Deepest first: a view of a container whose directory was moved is under the trash's.
  for (const mp of stale.sort((a, b) => b.length - a.length)) {
    try {
      umount2(mp, 2);
    } catch {
      // gone meanwhile
    }
  }
  let ids: string[];
  try {
    ids = readdirSync(containers);
  } catch {
    return;
  }
  for (const id of ids) releaseReadViews(join(containers, id));
}

function isStale(containers: string, trash: string, mp: string, shimMayRun: (containerDir: string) => boolean): boolean {
  const inTrash = under(trash, mp);
  if (inTrash !== undefined) return inTrash.startsWith("removed-") || /^idmap-check-[^/]+\/[^/]+$/.test(inTrash);
  const m = /^([0-9a-f]{64})\/(view-[^/]+|idmap-[^/]+\/[^/]+|merged|idmapped\/[^/]+)$/.exec(under(containers, mp) ?? "");
  if (!m) return false;
  return !(m[2] === "merged" || m[2]!.startsWith("idmapped/")) || !shimMayRun(join(containers, m[1]!));
}

/** Removes an emptied stage of idmapped views (rmdir only: a view still mounted there stays, and so does the stage). */
function dropStage(stage: string): void {
  try {
    for (const name of readdirSync(stage)) {
      try {
        umount2(join(stage, name), 2);
      } catch {
        // not mounted
      }
      rmdirSync(join(stage, name));
    }
    rmdirSync(stage);
  } catch {
    // A view that would not go: the container's removal takes the stage with it.
  }
}

/** `path` relative to `dir` when it lies below it. */
function under(dir: string, path: string): string | undefined {
  return path.startsWith(`${dir}/`) ? path.slice(dir.length + 1) : undefined;
}

/**
 * A stream made over a read-only view that stays mounted until the stream
 * ends, fails or is cancelled, so `docker cp`/`export` of a large container
 * streams instead of being held in memory. `userns`: a remapped container's mapping, for a view
 * whose owners are all the host's (see mountReadView).
 */
export function streamFromReadView(p: RootLayout, copied: boolean, make: (root: string) => ReadableStream<Uint8Array>, userns?: UserNamespace): ReadableStream<Uint8Array> {
  let release = () => {};
  let root = p.upperDir;
  if (!copied) {
    const view = mountReadView(p, userns);
    root = view;
    release = () => dropView(view);
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
      // Its failure to cancel ends nothing more than the cancel already does.
      reader.cancel(reason).catch(() => {});
    },
  });
}
