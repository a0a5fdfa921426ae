// Directory → tar: a whole tree (export, commit fallback) or an overlayfs
// upper dir converted to OCI form (0/0 char device → `.wh.NAME`, opaque dir
// xattr → `.wh..wh..opq`). Entries come in sorted order, names relative with
// no "./", directories with a trailing "/", mtimes in whole seconds, and
// files seen before under the same (dev, ino) as hardlinks: the same tree
// always gives the same bytes.
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type BigIntStats } from "node:fs";
import { SystemError } from "../errors.ts";
import type { TarEntry } from "./tar/types.ts";
import { tarStream, type TarWriteItem } from "./tar/write.ts";
import { lgetxattr, llistxattr } from "./fs/libc.ts";

const READ_CHUNK = 1 << 20;
const OPAQUE_XATTR = "trusted.overlay.opaque";

export interface DirTarOptions {
  /** Overlay upper dir: translate overlay whiteouts and opaque dirs into OCI ones. */
  overlayUpper?: boolean;
}

/** A tar stream of everything under `dir` (not `dir` itself). */
export function tarDirectory(dir: string, opts: DirTarOptions = {}): ReadableStream<Uint8Array> {
  return tarStream(directoryEntries(dir, opts));
}

/** The OCI layer (uncompressed tar) that an overlay upper dir represents. */
export function diffOverlayUpper(upperDir: string): ReadableStream<Uint8Array> {
  return tarDirectory(upperDir, { overlayUpper: true });
}

export async function* directoryEntries(root: string, opts: DirTarOptions = {}): AsyncGenerator<TarWriteItem> {
  const seen = new Map<string, string>(); // "dev:ino" → first path, for hardlinks
  async function* walk(rel: string): AsyncGenerator<TarWriteItem> {
    const abs = rel ? `${root}/${rel}` : root;
    for (const name of readdirSync(abs).sort(byBytes)) {
      const path = rel ? `${rel}/${name}` : name;
      const full = `${root}/${path}`;
      const st = lstatSync(full, { bigint: true });
      const base = baseEntry(path, st);
      if (st.isDirectory()) {
        const xattrs = readXattrs(full, opts.overlayUpper ?? false);
        yield { entry: { ...base, type: "dir", path: path + "/", ...(xattrs.attrs && { xattrs: xattrs.attrs }) } };
        if (xattrs.opaque) yield { entry: { ...base, type: "file", path: `${path}/.wh..wh..opq`, mode: 0o600, mtime: base.mtime } };
        yield* walk(path);
        continue;
      }
      if (opts.overlayUpper && st.isCharacterDevice() && st.rdev === 0n) {
        yield { entry: { ...base, type: "file", path: rel ? `${rel}/.wh.${name}` : `.wh.${name}`, mode: 0o600 } };
        continue;
      }
      if (st.isSocket()) continue; // tar cannot hold sockets; Docker skips them too
      const xattrs = readXattrs(full, opts.overlayUpper ?? false).attrs;
      const entry: TarEntry = { ...base, ...(xattrs && { xattrs }) };
      if (!st.isSymbolicLink() && st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        const first = seen.get(key);
        if (first !== undefined) {
          yield { entry: { ...entry, type: "hardlink", linkname: first, size: 0 } };
          continue;
        }
        seen.set(key, path);
      }
      if (st.isFile()) {
        yield { entry: { ...entry, type: "file", size: Number(st.size) }, body: readFile(full, Number(st.size)) };
      } else if (st.isSymbolicLink()) {
        yield { entry: { ...entry, type: "symlink", linkname: readlinkSync(full) } };
      } else if (st.isFIFO()) {
        yield { entry: { ...entry, type: "fifo" } };
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const rdev = Number(st.rdev);
        yield {
          entry: {
            ...entry,
            type: st.isCharacterDevice() ? "char" : "block",
            devmajor: ((rdev >>> 8) & 0xfff) | Math.floor(rdev / 2 ** 32) & ~0xfff,
            devminor: (rdev & 0xff) | ((rdev >>> 12) & ~0xff),
          },
        };
      }
    }
  }
  yield* walk("");
}

function baseEntry(path: string, st: BigIntStats): TarEntry {
  return {
    path,
    type: "file",
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: 0,
    mtime: Number(st.mtimeNs / 1_000_000_000n),
  };
}

function readXattrs(path: string, overlayUpper: boolean): { attrs?: Record<string, Uint8Array>; opaque: boolean } {
  let attrs: Record<string, Uint8Array> | undefined;
  let opaque = false;
  for (const name of llistxattr(path).sort()) {
    if (name === "security.selinux") continue; // a host label, not image content
    if (name.startsWith("trusted.overlay.")) {
      if (!overlayUpper) continue;
      if (name === OPAQUE_XATTR) {
        opaque = new TextDecoder().decode(lgetxattr(path, name) ?? new Uint8Array()) === "y";
        continue;
      }
      if (name === "trusted.overlay.redirect" || name === "trusted.overlay.metacopy") {
        throw new SystemError(`cannot export ${path}: overlay ${name.slice(16)} is not supported`);
      }
      continue;
    }
    const v = lgetxattr(path, name);
    if (v !== undefined) (attrs ??= {})[name] = v;
  }
  return { attrs, opaque };
}

async function* readFile(path: string, size: number): AsyncGenerator<Uint8Array> {
  const fd = openSync(path, "r");
  try {
    let left = size;
    while (left > 0) {
      const buf = new Uint8Array(Math.min(READ_CHUNK, left));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) throw new SystemError(`${path} shrank while it was being archived`);
      left -= n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Tar entries for one path named `name` in the archive: a file or symlink on
 * its own, or a directory with everything under it (`docker cp`'s shape).
 */
export async function* pathEntries(hostPath: string, name: string): AsyncGenerator<TarWriteItem> {
  const st = lstatSync(hostPath, { bigint: true });
  if (st.isDirectory()) {
    yield { entry: { ...baseEntry(name, st), type: "dir", path: `${name}/` } };
    for await (const item of directoryEntries(hostPath)) {
      const e = item.entry;
      yield { ...item, entry: { ...e, path: `${name}/${e.path}`, ...(e.type === "hardlink" ? { linkname: `${name}/${e.linkname}` } : {}) } };
    }
  } else if (st.isFile()) {
    yield { entry: { ...baseEntry(name, st), type: "file", size: Number(st.size) }, body: readFile(hostPath, Number(st.size)) };
  } else if (st.isSymbolicLink()) {
    yield { entry: { ...baseEntry(name, st), type: "symlink", linkname: readlinkSync(hostPath) } };
  } else {
    throw new SystemError(`cannot copy ${name}: only regular files, directories and symlinks can be copied`);
  }
}
