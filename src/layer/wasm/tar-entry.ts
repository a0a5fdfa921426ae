// Converts between the shared TarEntry model and the tar component's WIT header.
import { InvalidDataError } from "../../errors.ts";
import type { TarEntry, TarEntryType } from "../tar/types.ts";
import type { EntryKind, Header } from "../../wasm/generated/tar/tar.js";

const toType: Record<EntryKind, TarEntryType> = {
  file: "file",
  dir: "dir",
  symlink: "symlink",
  hardlink: "hardlink",
  "char-device": "char",
  "block-device": "block",
  fifo: "fifo",
};
const toKind = Object.fromEntries(Object.entries(toType).map(([k, t]) => [t, k])) as Record<TarEntryType, EntryKind>;

export function entryFromHeader(h: Header): TarEntry {
  const entry: TarEntry = {
    path: h.path,
    type: toType[h.kind],
    mode: h.mode,
    uid: Number(h.uid),
    gid: Number(h.gid),
    size: Number(h.size),
    mtime: h.mtime,
  };
  if (h.uname) entry.uname = h.uname;
  if (h.gname) entry.gname = h.gname;
  if (h.linkname) entry.linkname = h.linkname;
  if (entry.type === "char" || entry.type === "block") {
    entry.devmajor = h.devmajor;
    entry.devminor = h.devminor;
  }
  if (h.xattrs.length > 0) {
    entry.xattrs = {};
    for (const x of h.xattrs) entry.xattrs[x.name] = x.value;
  }
  return entry;
}

function count(name: string, value: number | undefined, max: number): number {
  const v = value ?? 0;
  if (!Number.isSafeInteger(v) || v < 0 || v > max) throw new InvalidDataError(`tar: invalid ${name}: ${value}`);
  return v;
}

export function headerFromEntry(entry: TarEntry): Header {
  const kind = toKind[entry.type];
  if (!kind) throw new InvalidDataError(`tar: invalid entry type: ${entry.type}`);
  if (!Number.isFinite(entry.mtime)) throw new InvalidDataError(`tar: invalid mtime: ${entry.mtime}`);
  return {
    path: entry.path,
    kind,
    mode: count("mode", entry.mode, 0o7777),
    uid: BigInt(count("uid", entry.uid, Number.MAX_SAFE_INTEGER)),
    gid: BigInt(count("gid", entry.gid, Number.MAX_SAFE_INTEGER)),
    uname: entry.uname ?? "",
    gname: entry.gname ?? "",
    size: BigInt(entry.type === "file" ? count("size", entry.size, Number.MAX_SAFE_INTEGER) : 0),
    mtime: entry.mtime,
    linkname: entry.linkname ?? "",
    devmajor: count("devmajor", entry.devmajor, 0xffffffff),
    devminor: count("devminor", entry.devminor, 0xffffffff),
    xattrs: Object.entries(entry.xattrs ?? {}).map(([name, value]) => ({ name, value })),
  };
}

/** The component reports failures as a thrown ComponentError carrying the message. */
export function asInvalidData(err: unknown): Error {
  if (err instanceof Error && err.constructor.name === "ComponentError") {
    const payload = (err as Error & { payload?: unknown }).payload;
    return new InvalidDataError(typeof payload === "string" ? payload : err.message);
  }
  return err as Error;
}
