// What COPY and ADD read from: a tree of files seen through a few questions
// (what is at this path, what does this link say, what is in this
// directory, what is this file's content digest), so that a step's cache key
// can be worked out without the files on disk — the sent context answers from
// its tar's index (src/build/context/context-tree.ts) and is unpacked only
// when a step must copy from it. An image's or a stage's files are a
// directory on disk (dirTree).
import { lstatSync, readdirSync, readlinkSync } from "node:fs";
import { scopedRel } from "./scoped-path.ts";

export interface TreeStat {
  kind: "dir" | "file" | "symlink" | "other";
  /** Permission bits with setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

/** Paths are relative to the tree's root, "/"-separated, "" for the root. None is followed: resolve first. */
export interface SourceTree {
  lstat(path: string): TreeStat | undefined;
  readlink(path: string): string;
  readdir(path: string): string[];
  /** SHA-256 (hex) of a regular file's content. */
  fileDigest(path: string): Promise<string>;
  /** The tree as a directory on disk, for the steps that copy from it. */
  directory(): Promise<string>;
}

/** `path` with its symlinks resolved inside the tree (see scopedRel). */
export function resolveIn(tree: SourceTree, path: string, followLast = true): string {
  return scopedRel(path, (p) => (tree.lstat(p)?.kind === "symlink" ? tree.readlink(p) : undefined), followLast);
}

/** A directory on disk as a SourceTree. */
export function dirTree(root: string): SourceTree {
  const abs = (p: string) => (p ? `${root}/${p}` : root);
  return {
    lstat(path) {
      const st = lstatSync(abs(path), { throwIfNoEntry: false });
      if (!st) return undefined;
      const kind = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : "other";
      return { kind, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.size };
    },
    readlink: (path) => readlinkSync(abs(path)),
    readdir: (path) => readdirSync(abs(path)),
    async fileDigest(path) {
      const h = new Bun.CryptoHasher("sha256");
      for await (const chunk of Bun.file(abs(path)).stream()) h.update(chunk);
      return h.digest("hex");
    },
    directory: async () => root,
  };
}
