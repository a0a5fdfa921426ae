// Stage 2's user mounts (binds, volumes, tmpfs), made inside the rootfs
// before pivot_root. Each destination is opened inside the root
// (open-in-root.ts) and mounted onto /proc/self/fd/N, so a symlink in the
// image can never send a mount onto the host.
import { chmodSync, closeSync, copyFileSync, lchownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync, utimesSync } from "node:fs";
import * as c from "../libc.ts";
import type { BindMount } from "../spec.ts";
import { StartError } from "../start-error.ts";
import { fdPath, openInRoot, openRoot } from "./open-in-root.ts";

const MS_SHARED = 1 << 20;
const propagationFlags: Record<string, number> = {
  private: c.MS.PRIVATE, rprivate: c.MS.PRIVATE | c.MS.REC, slave: c.MS.SLAVE, rslave: c.MS.SLAVE | c.MS.REC,
  shared: MS_SHARED, rshared: MS_SHARED | c.MS.REC,
};

/** mount(8)-style options that are flags rather than filesystem data. */
const flagOptions: Record<string, [set: number, clear: number]> = {
  ro: [c.MS.RDONLY, 0], rw: [0, c.MS.RDONLY], noexec: [c.MS.NOEXEC, 0], exec: [0, c.MS.NOEXEC],
  nosuid: [c.MS.NOSUID, 0], suid: [0, c.MS.NOSUID], nodev: [c.MS.NODEV, 0], dev: [0, c.MS.NODEV],
};

function splitOptions(options: string[]): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    const f = flagOptions[o];
    if (f) flags = (flags | f[0]) & ~f[1];
    else data.push(o);
  }
  return { flags, data: data.join(",") };
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
  try {
    fd = openInRoot(root, m.destination, isDir ? "dir" : "file");
  } catch (e) {
    throw new StartError(`error mounting "${m.source}" to rootfs at "${m.destination}": ${(e as Error).message}`, 125);
  }
  try {
    if (m.copyUp) copyUp(fdPath(fd), m.source);
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
