// A remapped container's root, assembled by its shim (still root of the host)
// before stage 2 goes on: overlay over idmapped views of the image's layers,
// so the container's root owns its files while the layers on disk stay as
// they are and are shared by every container and mapping. Overlay itself is
// mounted here, in the init user namespace, because an overlay mounted inside
// the container's namespace could not read the layers' trusted.overlay.*
// attributes (opaque directories). Stage 2 copies the mount with its mount
// namespace; the host's copy is detached as soon as it has (see `release`).
import { closeSync, existsSync, lchownSync, mkdirSync, readdirSync, rmdirSync } from "node:fs";
import { dirname, join } from "node:path";
import * as c from "../libc.ts";
import type { RuntimeSpec } from "../spec.ts";
import { hostIdOf, type UserNamespace } from "./id-map.ts";
import { attachTree, idmappedTree } from "./idmapped-mount.ts";

const MNT_DETACH = 2;

/** Hands a file the shim made for the container (its terminal) to the container's root, who could not open it otherwise. */
export function giveToContainerRoot(path: string, ns: UserNamespace): void {
  lchownSync(path, hostIdOf(ns.uidMap, 0) ?? 0, hostIdOf(ns.gidMap, 0) ?? 0);
}

/** Mounts the root; returns what detaches it from the shim's namespace once stage 2 holds its copy. */
export function mountRemappedRootfs(s: Pick<RuntimeSpec, "rootfs" | "lowerDirs" | "upperDir" | "workDir" | "ephemeral">, ns: UserNamespace, usernsFd: number): () => void {
  mkdirSync(s.rootfs, { recursive: true, mode: 0o755 });
  if (!s.lowerDirs.length) {
    // A copied root (no overlay here): the copy itself, seen through the mapping, or bound as it is when it was made chowned.
    if (ns.chownedLayers) {
      giveToContainerRoot(s.upperDir, ns);
      c.mount(s.upperDir, s.rootfs, null, c.MS.BIND, null);
    } else mountIdmapped(s.upperDir, s.rootfs, usernsFd);
    return () => detach(s.rootfs);
  }
  // The writable layer's top is the container's "/": its root owns it, as with dockerd.
  giveToContainerRoot(s.upperDir, ns);
  const mountRoot = (lowers: string) => {
    const options = `lowerdir=${lowers},upperdir=${s.upperDir},workdir=${s.workDir}`;
    try {
      c.mount("overlay", s.rootfs, "overlay", 0, s.ephemeral ? `${options},volatile` : options);
    } catch {
      c.mount("overlay", s.rootfs, "overlay", 0, options); // a kernel before 5.10: no volatile
    }
  };
  // Chowned copies of the layers (the daemon's, where overlayfs refuses idmapped ones) have the mapping's owners already.
  if (ns.chownedLayers) mountRoot(s.lowerDirs.join(":"));
  else overIdmappedLayers(join(dirname(s.upperDir), "idmapped"), s.lowerDirs, usernsFd, mountRoot);
  return () => detach(s.rootfs);
}

/**
 * A read-only overlay at `view` of a remapped container's files (its upper dir over idmapped
 * layers): every file with its owner on the host as the container made or sees it, which cp out
 * and export translate back. `stage` is a new directory of the caller's for the layers' views.
 */
export function mountRemappedView(view: string, upperDir: string, lowerDirs: string[], usernsFd: number, stage: string): void {
  overIdmappedLayers(stage, lowerDirs, usernsFd, (lowers) => {
    c.mount("overlay", view, "overlay", c.MS.RDONLY, `lowerdir=${upperDir}:${lowers}`);
  });
}

/** Runs `mount` with idmapped views of `lowerDirs` made under `stage` (their names relative to it, as overlay's lowerdir), removed after. */
function overIdmappedLayers(stage: string, lowerDirs: string[], usernsFd: number, mount: (lowers: string) => void): void {
  clearStage(stage);
  mkdirSync(stage, { mode: 0o700 });
  const views = lowerDirs.map((_d, i) => join(stage, String(i)));
  try {
    lowerDirs.forEach((d, i) => {
      mkdirSync(views[i]!);
      mountIdmapped(d, views[i]!, usernsFd);
    });
    // Short relative names keep a long layer list within the page mount data may fill.
    process.chdir(stage);
    try {
      mount(views.map((_v, i) => String(i)).join(":"));
    } finally {
      process.chdir("/");
    }
  } finally {
    // Overlay holds its own clones of its layers: the views can go at once.
    clearStage(stage);
  }
}

function mountIdmapped(dir: string, at: string, usernsFd: number): void {
  const fd = idmappedTree(dir, usernsFd);
  try {
    attachTree(fd, at);
  } finally {
    closeSync(fd);
  }
}

/** Detaches and removes the views (one a crashed shim left too): rmdir, never a recursive remove, which could reach into a layer still mounted there. */
function clearStage(stage: string): void {
  if (!existsSync(stage)) return;
  for (const name of readdirSync(stage)) {
    detach(join(stage, name));
    rmdirSync(join(stage, name));
  }
  rmdirSync(stage);
}

function detach(path: string): void {
  try {
    c.umount2(path, MNT_DETACH);
  } catch {
    // Not mounted (never was, or gone already): nothing to detach.
  }
}
