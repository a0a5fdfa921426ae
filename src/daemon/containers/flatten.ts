// Copies of the image's layer snapshots (kept in overlay form). Where there
// is no overlayfs ("vfs", as Docker calls it) they are copied bottom to top
// into one directory, applying their whiteouts and opaque dirs. Where
// overlayfs refuses idmapped layers, a remapped container's lower layers are
// copies with their owners shifted into the mapping, one per layer and mapping.
import { chmodSync, copyFileSync, existsSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, chownSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { LibcError, lgetxattr, llistxattr, lsetxattr, mknod } from "../../layer/fs/libc.ts";

type Owner = (uid: number, gid: number) => { uid: number; gid: number };
const same: Owner = (uid, gid) => ({ uid, gid });

function copyEntry(src: string, dst: string, owner = same): void {
  const st = lstatSync(src);
  const { uid, gid } = owner(st.uid, st.gid);
  if (st.isDirectory()) {
    mkdirSync(dst, { recursive: true });
    chownSync(dst, uid, gid);
    chmodSync(dst, st.mode & 0o7777);
    return;
  }
  rmSync(dst, { recursive: true, force: true });
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), dst);
    lchownSync(dst, uid, gid);
    lutimesSync(dst, st.atime, st.mtime);
    return;
  }
  if (st.isFile()) copyFileSync(src, dst);
  else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) {
    mknod(dst, st.mode, Math.floor(st.rdev / 256) & 0xfff, (st.rdev & 0xff) | ((st.rdev >> 12) & ~0xff));
  } else return; // sockets are not copied
  chownSync(dst, uid, gid);
  chmodSync(dst, st.mode & 0o7777);
  utimesSync(dst, st.atime, st.mtime);
}

function applyDir(layer: string, target: string, owner: Owner): void {
  for (const name of readdirSync(layer)) {
    const src = join(layer, name);
    const dst = join(target, name);
    const st = lstatSync(src);
    if (st.isCharacterDevice() && st.rdev === 0) {
      rmSync(dst, { recursive: true, force: true }); // an overlay whiteout
      continue;
    }
    if (st.isDirectory()) {
      const opaque = isOpaque(src);
      const existing = lstatSync(dst, { throwIfNoEntry: false });
      if (opaque || (existing && !existing.isDirectory())) rmSync(dst, { recursive: true, force: true });
      copyEntry(src, dst, owner);
      applyDir(src, dst, owner);
      continue;
    }
    copyEntry(src, dst, owner);
  }
}

/** Whether a layer's directory hides what the layers below have there; a filesystem without attributes (ramfs) has no opaque ones. */
function isOpaque(dir: string): boolean {
  try {
    return lgetxattr(dir, "trusted.overlay.opaque")?.[0] === 0x79;
  } catch (e) {
    if (e instanceof LibcError && e.errno === 95) return false; // EOPNOTSUPP
    throw e;
  }
}

/** Copies `layers` (bottom first) into `target`, as the overlay of them would show, each owner shifted by `owner`. */
export function flattenLayers(layers: string[], target: string, owner = same): void {
  mkdirSync(target, { recursive: true });
  for (const layer of layers) applyDir(layer, target, owner);
}

/**
 * `layer` copied whole to `target`, whiteouts, opaque dirs and other attributes included, each
 * owner shifted by `owner` (a chown clears file capabilities: attributes are set after it). Made
 * beside (`<target>.tmp-*`, which the store's recovery removes after a crash) and renamed into
 * place: a copy is whole or absent, and of two made at once one is kept.
 */
export function shiftedLayerCopy(layer: string, target: string, owner: Owner): void {
  if (existsSync(target)) return;
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    copyTree(layer, tmp, owner);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(target)) throw e;
  }
}

function copyTree(src: string, dst: string, owner: Owner): void {
  copyEntry(src, dst, owner);
  for (const name of llistxattr(src)) {
    const v = lgetxattr(src, name);
    if (v !== undefined) lsetxattr(dst, name, v);
  }
  if (lstatSync(src).isDirectory()) for (const name of readdirSync(src)) copyTree(join(src, name), join(dst, name), owner);
}
