// Entries of every kind and size class a tar header writer must handle; shared by the encoder tests.
import type { TarEntry } from "../../src/layer/tar/types.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
export const T = 1_700_000_000;
export const entries: { entry: TarEntry; data?: Uint8Array }[] = [
  { entry: { path: "enc/", type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: T } },
  { entry: { path: "enc/small", type: "file", mode: 0o644, uid: 0, gid: 0, size: 5, mtime: T, uname: "root", gname: "root" }, data: bytes("hello") },
  { entry: { path: `enc/${"p".repeat(90)}/${"q".repeat(90)}`, type: "file", mode: 0o600, uid: 1, gid: 2, size: 512, mtime: T }, data: new Uint8Array(512).fill(1) },
  { entry: { path: `enc/${"z".repeat(150)}`, type: "file", mode: 0o644, uid: 0, gid: 0, size: 1000, mtime: T }, data: new Uint8Array(1000).fill(2) },
  { entry: { path: "enc/ünï名前", type: "file", mode: 0o4755, uid: 0, gid: 0, size: 3, mtime: T }, data: bytes("abc") },
  { entry: { path: "enc/link", type: "symlink", mode: 0o777, uid: 0, gid: 0, size: 0, mtime: T, linkname: `${"t".repeat(120)}/${"u".repeat(80)}` } },
  { entry: { path: "enc/hard", type: "hardlink", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: T, linkname: "enc/small" } },
  { entry: { path: "enc/fifo", type: "fifo", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: T } },
  { entry: { path: "enc/null", type: "char", mode: 0o666, uid: 0, gid: 0, size: 0, mtime: T, devmajor: 1, devminor: 3 } },
  { entry: { path: "enc/loop0", type: "block", mode: 0o660, uid: 0, gid: 6, size: 0, mtime: T, devmajor: 7, devminor: 0 } },
  { entry: { path: "enc/ids", type: "file", mode: 0o644, uid: 5_000_000, gid: 6_000_000, size: 0, mtime: T, uname: "someone", gname: "g".repeat(40) } },
  {
    entry: { path: "enc/xattrs", type: "file", mode: 0o644, uid: 0, gid: 0, size: 2, mtime: T + 0.5, xattrs: { "user.a": new Uint8Array([0, 1, 255]), "user.empty": new Uint8Array() } },
    data: bytes("xa"),
  },
  { entry: { path: "enc/old", type: "file", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: -1000 } },
];
