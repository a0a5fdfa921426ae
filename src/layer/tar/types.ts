// The tar model shared by the TypeScript and the WASM implementations.
// Both implement the same interfaces so tests can cross-check them and the
// default path can be whichever the benchmark shows faster.

export type TarEntryType =
  | "file"
  | "dir"
  | "symlink"
  | "hardlink"
  | "char"
  | "block"
  | "fifo";

export interface TarEntry {
  /** Path as stored (after PAX/GNU long-name resolution), never normalised by the reader. */
  path: string;
  type: TarEntryType;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** Size of the entry's data in bytes (0 for everything but regular files). */
  size: number;
  /** Modification time in seconds since the epoch (may carry a fraction from PAX). */
  mtime: number;
  /** Target of a symlink or hardlink. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes from PAX `SCHILY.xattr.*` records, raw bytes. */
  xattrs?: Record<string, Uint8Array>;
}

/** What a push-based tar walker reports as bytes come in. */
export type TarEvent =
  | { kind: "entry"; entry: TarEntry }
  /** A slice of the current entry's data. Valid only until the next push(). */
  | { kind: "data"; data: Uint8Array }
  /** The current entry's data is complete. */
  | { kind: "entryEnd" };

/**
 * Walks a tar byte stream chunk by chunk. Chunks may split headers and data
 * anywhere. Throws InvalidDataError on a bad header checksum or malformed
 * PAX/GNU records. finish() throws if the stream ended inside an entry.
 */
export interface TarWalker {
  push(chunk: Uint8Array): TarEvent[];
  finish(): void;
}

/** Encodes tar headers (ustar, with PAX records when a field does not fit). */
export interface TarHeaderEncoder {
  /** Header block(s) for an entry, including any PAX extended header. */
  header(entry: TarEntry): Uint8Array;
  /** Zero padding after `size` bytes of data, to the next 512-byte boundary. */
  padding(size: number): Uint8Array;
  /** The two zero blocks that end an archive. */
  end(): Uint8Array;
}
