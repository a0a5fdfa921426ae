// The copied-rootfs fallback for hosts without overlayfs ("vfs", as Docker
// calls it): the image's layer snapshots, kept in overlay form, are copied
// bottom to top into one directory, applying their whiteouts and opaque dirs.
import { chmodSync, copyFileSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, chownSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { lgetxattr, mknod } from "../../layer/fs/libc.ts";

function copyEntry(src: string, dst: string): void {
  const st = lstatSync(src);
  if (st.isDirectory()) {
    mkdirSync(dst, { recursive: true });
    chownSync(dst, st.uid, st.gid);
    chmodSync(dst, st.mode & 0o7777);
    return;
  }
  rmSync(dst, { recursive: true, force: true });
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), dst);
    lchownSync(dst, st.uid, st.gid);
    lutimesSync(dst, st.atime, st.mtime);
    return;
  }
  if (st.isFile()) copyFileSync(src, dst);
  else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) {
    mknod(dst, st.mode, Math.floor(st.rdev / 256) & 0xfff, (st.rdev & 0xff) | ((st.rdev >> 12) & ~0xff));
  } else return; // sockets are not copied
  chownSync(dst, st.uid, st.gid);
  chmodSync(dst, st.mode & 0o7777);
  utimesSync(dst, st.atime, st.mtime);
}

function applyDir(layer: string, target: string): void {
  for (const name of readdirSync(layer)) {
    const src = join(layer, name);
    const dst = join(target, name);
    const st = lstatSync(src);
    if (st.isCharacterDevice() && st.rdev === 0) {
      rmSync(dst, { recursive: true, force: true }); // an overlay whiteout
      continue;
    }
    if (st.isDirectory()) {
      const opaque = lgetxattr(src, "trusted.overlay.opaque")?.[0] === 0x79;
      const existing = lstatSync(dst, { throwIfNoEntry: false });
      if (opaque || (existing && !existing.isDirectory())) rmSync(dst, { recursive: true, force: true });
      copyEntry(src, dst);
      applyDir(src, dst);
      continue;
    }
    copyEntry(src, dst);
  }
}

/** Copies `layers` (bottom first) into `target`, as the overlay of them would show. */
export function flattenLayers(layers: string[], target: string): void {
  mkdirSync(target, { recursive: true });
  for (const layer of layers) applyDir(layer, target);
}
