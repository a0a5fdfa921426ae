// Stage 2's user mounts (binds, volumes, tmpfs), made inside the rootfs
// before pivot_root. Each destination is opened inside the root
// (open-in-root.ts) and mounted onto /proc/self/fd/N, so a symlink in the
// image can never send a mount onto the host.
import { chmodSync, closeSync, copyFileSync, lchownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync, utimesSync } from "node:fs";
import * as c from "../libc.ts";
import type { BindMount } from "../spec.ts";
import { StartError } from "../start-error.ts";
import { fdPath, openInRoot, openOrMakeInRoot, openRoot } from "./open-in-root.ts";
import { propagationFlags, receivesEvents, splitOptions } from "../mount-options.ts";
import { mountOf } from "../host-mounts.ts";

/**
 * The propagation of the namespace's copy of the host's mounts, set before the
 * root is assembled (runc's rootfs propagation): private, unless a bind must
 * keep receiving the host's mount events (slave) or exchange them (shared).
 * For shared the copies stay peers of the host's, and only the mount holding
 * the root is made private, so the container's root never shows on the host.
 */
export function setRootPropagation(rootfs: string, mounts: BindMount[]): void {
  const wanted = mounts.map((m) => m.propagation ?? "").filter(receivesEvents);
  if (wanted.some((p) => p.endsWith("shared"))) {
    const holder = mountOf(rootfs);
    if (holder.shared) c.mount(null, holder.mountPoint, null, c.MS.PRIVATE);
    return;
  }
  c.mount(null, "/", null, c.MS.REC | (wanted.length ? c.MS.SLAVE : c.MS.PRIVATE));
}

export function mountUserMounts(rootfs: string, mounts: BindMount[]): void {
  if (!mounts.length) return;
  const root = openRoot(rootfs);
  try {
    for (const m of mounts) mountOne(root, m);
  } finally {
    closeSync(root);
  }
}

function mountOne(root: number, m: BindMount): void {
  const fs = m.type && m.type !== "bind";
  const isDir = fs || statSync(m.source).isDirectory();
  let fd: number;
  let made: boolean;
  try {
    ({ fd, made } = openOrMakeInRoot(root, m.destination, isDir ? "dir" : "file"));
  } catch (e) {
    throw new StartError(`error mounting "${m.source}" to rootfs at "${m.destination}": ${(e as Error).message}`, 125);
  }
  try {
    // A destination made just now holds nothing of the image's to copy.
    if (m.copyUp && !made) copyUp(fdPath(fd), m.source);
    if (fs) {
      const { flags, data } = splitOptions(m.options ?? []);
      c.mount(m.source, fdPath(fd), m.type!, flags | (m.readonly ? c.MS.RDONLY : 0), data || null);
      return;
    }
    c.mount(m.source, fdPath(fd), null, c.MS.BIND | (m.nonRecursive ? 0 : c.MS.REC));
  } finally {
    closeSync(fd);
  }
  if (!m.readonly && !m.propagation) return;
  // The descriptor above names the directory under the new mount; open the mount's own root.
  const top = openInRoot(root, m.destination);
  try {
    if (m.readonly) c.mount(null, fdPath(top), null, c.MS.BIND | c.MS.REMOUNT | c.MS.RDONLY);
    const p = propagationFlags[m.propagation ?? ""];
    if (p) c.mount(null, fdPath(top), null, p);
  } finally {
    closeSync(top);
  }
}

/**
 * Docker's copy-up: what the image has at a new volume's destination is
 * copied into the volume, owners, modes and times kept. Symlinks are copied
 * as links, never followed.
 */
function copyUp(from: string, to: string): void {
  const top = statSync(from);
  if (!top.isDirectory()) return;
  copyTree(from, to);
  lchownSync(to, top.uid, top.gid);
  chmodSync(to, top.mode & 0o7777);
}

function copyTree(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const src = `${from}/${name}`;
    const dst = `${to}/${name}`;
    const st = lstatSync(src);
    if (st.isDirectory()) {
      mkdirSync(dst, { mode: 0o700 });
      copyTree(src, dst);
    } else if (st.isFile()) {
      copyFileSync(src, dst);
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(src), dst);
      lchownSync(dst, st.uid, st.gid);
      continue;
    } else continue; // devices, fifos and sockets are not copied
    lchownSync(dst, st.uid, st.gid);
    chmodSync(dst, st.mode & 0o7777);
    utimesSync(dst, st.atime, st.mtime);
  }
}
