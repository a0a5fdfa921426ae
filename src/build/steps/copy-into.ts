// COPY/ADD into a mounted root filesystem with Docker's rules: a directory
// source copies its contents; a destination ending in "/" (or an existing
// directory) receives sources by their base names; missing parents are
// created; --chown/--chmod apply to everything copied; ADD extracts local tar
// archives (plain, gzip, zstd, xz, bzip2). Every write path is resolved inside the root.
import {
  chmodSync, copyFileSync, lchownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, lutimesSync,
} from "node:fs";
import { posix } from "node:path";
import { InvalidParameterError, errnoCode } from "../../errors.ts";
import { applyLayer } from "../../layer/apply.ts";
import { scopedPath } from "../fs/scoped-path.ts";
import { archiveBytes, archiveKind } from "../fs/archive-kind.ts";
import type { PlacedSource } from "./copy-sources.ts";

export interface CopyOwner {
  uid: number;
  gid: number;
}

export interface CopyOptions {
  what: "COPY" | "ADD";
  /** Set: every copied entry (and created parent) gets this owner; else root. */
  owner?: CopyOwner;
  chmod?: number;
  /** ADD: extract local archives instead of copying them. */
  extract: boolean;
}

export async function copyInto(root: string, sources: PlacedSource[], to: string, o: CopyOptions): Promise<void> {
  const owner = o.owner ?? { uid: 0, gid: 0 };
  if (sources.length > 1 && !to.endsWith("/")) {
    throw new InvalidParameterError(`When using ${o.what} with more than one source file, the destination must be a directory and end with a /`);
  }
  for (const src of sources) {
    if (src.copyDir) {
      makeDirs(root, to, owner);
      await src.copyDir(scopedPath(root, to), owner, o.chmod);
      continue;
    }
    const st = statSync(src.abs);
    // --parents: a file goes under its own directories, a directory under its whole path.
    const dest = src.kept === undefined ? to : `${posix.join(to, st.isDirectory() ? src.kept : posix.dirname(src.kept))}/`;
    const destIsDir = dest.endsWith("/") || isDir(scopedPath(root, dest));
    if (st.isDirectory()) {
      makeDirs(root, dest, owner);
      copyTree(src.abs, scopedPath(root, dest), o, owner, root);
      continue;
    }
    const kind = o.extract && !src.verbatim && st.isFile() ? archiveKind(src.abs) : undefined;
    if (kind) {
      makeDirs(root, dest, owner);
      await applyLayer(archiveBytes(src.abs, kind), scopedPath(root, dest), { whiteoutMode: "delete", resolvedTarget: true, devices: "skip" });
      continue;
    }
    const target = destIsDir ? posix.join(dest, posix.basename(src.rel || src.abs)) : dest;
    makeDirs(root, posix.dirname(target), owner);
    copyEntry(src.abs, scopedPath(root, posix.dirname(target)) + "/" + posix.basename(target), o, owner, true);
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** mkdir -p inside the root; new directories are 0755 and owned like the copied files (Docker's classic builder). */
function makeDirs(root: string, dir: string, owner: CopyOwner): void {
  const parts = dir.split("/").filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const p = scopedPath(root, parts.slice(0, i).join("/"));
    try {
      if (!lstatSync(p).isDirectory()) throw new InvalidParameterError(`cannot copy to /${parts.slice(0, i).join("/")}: not a directory`);
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw e;
      mkdirSync(p, { mode: 0o755 });
      lchownSync(p, owner.uid, owner.gid);
    }
  }
}

function copyTree(srcDir: string, dstDir: string, o: CopyOptions, owner: CopyOwner, root: string): void {
  for (const name of readdirSync(srcDir).sort()) {
    const s = `${srcDir}/${name}`;
    const d = `${dstDir}/${name}`;
    // A symlink in the image at this name is replaced, never followed outside the root.
    const resolved = scopedPath(root, d.slice(root.length), false);
    copyEntry(s, resolved, o, owner, false);
    if (lstatSync(s).isDirectory()) copyTree(s, resolved, o, owner, root);
  }
}

function copyEntry(src: string, dst: string, o: CopyOptions, owner: CopyOwner, follow: boolean): void {
  const st = follow ? statSync(src) : lstatSync(src);
  let existing;
  try {
    existing = lstatSync(dst);
  } catch {
    // Nothing there yet.
  }
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) rmSync(dst, { force: true });
    if (!existing?.isDirectory()) mkdirSync(dst);
  } else {
    if (existing?.isDirectory()) throw new InvalidParameterError(`cannot overwrite directory ${dst} with a file`);
    if (existing) rmSync(dst, { force: true });
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isFile()) copyFileSync(src, dst);
    else return; // sockets, fifos and devices are not copied
  }
  lchownSync(dst, owner.uid, owner.gid);
  if (st.isSymbolicLink()) {
    lutimesSync(dst, st.atime, st.mtime);
    return;
  }
  chmodSync(dst, o.chmod ?? st.mode & 0o7777);
  utimesSync(dst, st.atime, st.mtime);
}
