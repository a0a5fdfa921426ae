// Turns tar events into files under a target directory, synchronously (one
// decompressed chunk at a time, so the event loop breathes between chunks).
// Whiteouts follow the OCI layer spec; see apply.ts for the two modes.
import {
  closeSync, constants as C, fchmodSync, fchownSync, futimesSync, linkSync, lchownSync, lstatSync, lutimesSync,
  chmodSync, mkdirSync, openSync, readdirSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeSync,
} from "node:fs";
import { InvalidDataError } from "../../errors.ts";
import type { TarEntry } from "../tar/types.ts";
import { entryParts, Scope } from "./scope.ts";
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO, LibcError } from "../fs/libc.ts";

export type WhiteoutMode = "delete" | "overlay";

export interface WriterOptions {
  whiteoutMode: WhiteoutMode;
  /** Create char/block devices ("create"), leave them out ("skip", default) or fail ("refuse"). */
  devices: "create" | "skip" | "refuse";
  /** lchown to the entry's uid/gid (default: when running as root). */
  chown: boolean;
}

export interface WriterStats {
  entries: number;
  /** Regular files' sizes and symlinks' (their targets' lengths): what dockerd reports as a layer's size. */
  contentSize: number;
  skippedDevices: number;
  /** security.* / trusted.* xattrs the filesystem refused. */
  skippedXattrs: string[];
}

const WH = ".wh.";
const OPAQUE = ".wh..wh..opq";
const CREATE_FILE = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW | 0o2000000; // O_CLOEXEC

export class LayerWriter {
  readonly stats: WriterStats = { entries: 0, contentSize: 0, skippedDevices: 0, skippedXattrs: [] };
  private scope: Scope;
  private fd = -1;
  private current: { path: string; entry: TarEntry; modeSet: boolean } | undefined;
  /** The umask in force, which creat(2) and mkdir(2) apply to the mode they are given. */
  private readonly umask = process.umask();
  private dirTimes: [string, number][] = [];
  /** Paths this layer wrote (for opaque dirs in delete mode). */
  private written = new Set<string>();

  constructor(readonly root: string, private opts: WriterOptions) {
    this.scope = new Scope(root);
  }

  entry(e: TarEntry): void {
    this.stats.entries++;
    const parts = entryParts(e.path);
    if (parts.length === 0) {
      if (e.type === "dir") return; // "./": Docker leaves the root's own metadata alone
      throw new InvalidDataError(`invalid layer: ${JSON.stringify(e.path)} would replace the target directory`);
    }
    const name = parts[parts.length - 1]!;
    if (name.startsWith(WH)) return this.whiteout(e, parts.slice(0, -1), name);
    const dir = this.scope.dir(parts.slice(0, -1), e.path);
    const path = `${dir}/${name}`;
    if (this.opts.whiteoutMode === "delete") this.markWritten(path);
    switch (e.type) {
      case "dir": return this.makeDir(e, path);
      case "file": return this.openFile(e, path);
      case "symlink": return this.makeSymlink(e, path);
      case "hardlink": return this.makeHardlink(e, path);
      case "fifo": return this.makeNode(e, path, S_IFIFO);
      case "char":
      case "block": {
        if (this.opts.devices === "refuse") throw new InvalidDataError(`invalid layer: device node ${JSON.stringify(e.path)} is not allowed`);
        if (this.opts.devices === "skip") { this.stats.skippedDevices++; return; }
        return this.makeNode(e, path, e.type === "char" ? S_IFCHR : S_IFBLK);
      }
    }
  }

  data(chunk: Uint8Array): void {
    if (this.fd < 0) return;
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }

  entryEnd(): void {
    if (this.fd < 0) return;
    const { path, entry, modeSet } = this.current!;
    const fd = this.fd;
    this.fd = -1;
    this.current = undefined;
    try {
      if (this.opts.chown) fchownSync(fd, entry.uid, entry.gid);
      if (!modeSet) fchmodSync(fd, entry.mode); // after chown, which clears setuid/setgid
      futimesSync(fd, entry.mtime, entry.mtime);
    } finally {
      closeSync(fd);
    }
    this.xattrs(path, entry);
  }

  /** Directory mtimes last: creating their content changed them. */
  finish(): void {
    for (let i = this.dirTimes.length - 1; i >= 0; i--) {
      const [p, t] = this.dirTimes[i]!;
      utimesSync(p, t, t);
    }
  }

  /** Releases an open file after an error. */
  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private makeDir(e: TarEntry, path: string): void {
    // Made first, looked at only if something is there: in a new tree nothing is.
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (!lstatSync(path).isDirectory()) {
        this.remove(path);
        mkdirSync(path, { mode: 0o700 });
      }
    }
    this.owner(path, e);
    // Always: mkdir under a setgid directory inherits its setgid bit, which the entry may not have.
    chmodSync(path, e.mode);
    this.xattrs(path, e);
    this.dirTimes.push([path, e.mtime]);
  }

  /**
   * Whether creating with `mode` gives exactly `mode`: no bit the umask takes
   * away, and no setuid, setgid or sticky bit (a chown after it clears them).
   * Then the file is created with its final mode and needs no chmod.
   */
  private createsExactly(mode: number): boolean {
    return (mode & 0o7000) === 0 && (mode & this.umask) === 0;
  }

  private openFile(e: TarEntry, path: string): void {
    const modeSet = this.createsExactly(e.mode);
    const mode = modeSet ? e.mode : 0o600;
    let fd: number;
    try {
      fd = openSync(path, CREATE_FILE, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      this.remove(path);
      fd = openSync(path, CREATE_FILE, mode);
    }
    this.fd = fd;
    this.current = { path, entry: e, modeSet };
    this.stats.contentSize += e.size;
  }

  private makeSymlink(e: TarEntry, path: string): void {
    this.replace(path, () => symlinkSync(e.linkname!, path));
    this.stats.contentSize += Buffer.byteLength(e.linkname!);
    this.owner(path, e);
    this.xattrs(path, e);
    lutimesSync(path, e.mtime, e.mtime);
  }

  private makeHardlink(e: TarEntry, path: string): void {
    const parts = entryParts(e.linkname!, "hardlink target");
    if (parts.length === 0) throw new InvalidDataError(`invalid layer: hardlink ${JSON.stringify(e.path)} points at the target directory`);
    const dir = this.scope.existingDir(parts.slice(0, -1), e.linkname!);
    const target = dir === undefined ? undefined : `${dir}/${parts[parts.length - 1]}`;
    const st = target === undefined ? undefined : lstatSync(target, { throwIfNoEntry: false });
    if (!st) throw new InvalidDataError(`invalid layer: hardlink ${JSON.stringify(e.path)} points at missing ${JSON.stringify(e.linkname)}`);
    if (st.isDirectory()) throw new InvalidDataError(`invalid layer: hardlink ${JSON.stringify(e.path)} points at a directory`);
    if (target === path) return;
    // link(2) does not follow a symlink target: linking to a symlink copies the symlink.
    this.replace(path, () => linkSync(target!, path));
  }

  private makeNode(e: TarEntry, path: string, kind: number): void {
    this.replace(path, () => mknod(path, kind | 0o600, e.devmajor ?? 0, e.devminor ?? 0));
    this.owner(path, e);
    chmodSync(path, e.mode);
    this.xattrs(path, e);
    utimesSync(path, e.mtime, e.mtime);
  }

  private whiteout(e: TarEntry, parentParts: string[], name: string): void {
    const dir = this.scope.dir(parentParts, e.path);
    if (name === OPAQUE) {
      if (this.opts.whiteoutMode === "overlay") {
        lsetxattr(dir, "trusted.overlay.opaque", new TextEncoder().encode("y"));
      } else {
        for (const child of readdirSync(dir)) {
          const p = `${dir}/${child}`;
          if (!this.written.has(p)) this.remove(p);
        }
      }
      return;
    }
    if (name.startsWith(WH + WH)) return; // other AUFS metadata (.wh..wh.plnk, …): Docker ignores it
    const victim = name.slice(WH.length);
    if (victim === "" || victim === "." || victim === "..") {
      throw new InvalidDataError(`invalid layer: bad whiteout ${JSON.stringify(e.path)}`);
    }
    const path = `${dir}/${victim}`;
    if (this.opts.whiteoutMode === "delete") {
      if (lstatSync(path, { throwIfNoEntry: false })) this.remove(path);
      return;
    }
    this.replace(path, () => mknod(path, S_IFCHR, 0, 0));
    this.owner(path, e);
  }

  /** Creates something at `path`, removing whatever is there first if needed. */
  private replace(path: string, create: () => void): void {
    try {
      create();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      this.remove(path);
      create();
    }
  }

  private remove(path: string): void {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory()) {
      rmSync(path, { recursive: true, force: true });
      this.scope.invalidate();
      this.dirTimes = this.dirTimes.filter(([p]) => p !== path && !p.startsWith(path + "/"));
    } else if (st) {
      unlinkSync(path);
      if (st.isSymbolicLink()) this.scope.invalidate();
    }
  }

  /** Records a path and its parents as this layer's own, so an opaque marker keeps them. */
  private markWritten(path: string): void {
    for (let p = path; p.length > this.root.length && !this.written.has(p); p = p.slice(0, p.lastIndexOf("/"))) {
      this.written.add(p);
    }
  }

  private owner(path: string, e: TarEntry): void {
    if (this.opts.chown) lchownSync(path, e.uid, e.gid);
  }

  private xattrs(path: string, e: TarEntry): void {
    if (!e.xattrs) return;
    for (const [name, value] of Object.entries(e.xattrs)) {
      // Overlay's own attributes are engine state, never layer content.
      if (name.startsWith("trusted.overlay.")) continue;
      try {
        lsetxattr(path, name, value);
      } catch (err) {
        const privileged = name.startsWith("security.") || name.startsWith("trusted.");
        const refused = err instanceof LibcError && (err.code === "EPERM" || err.code === "EOPNOTSUPP");
        if (!(privileged && refused)) throw err;
        this.stats.skippedXattrs.push(`${e.path}: ${name}`);
      }
    }
  }
}
