// COPY/ADD sources: patterns resolved inside a source root (the context or
// another stage's filesystem) with Go's filepath.Match wildcards, never
// leaving that root; and a content hash of what they name for the cache —
// names, types, modes, owners, contents and symlink targets, not mtimes.
import { posix } from "node:path";
import { InvalidParameterError } from "../../errors.ts";
import { resolveIn, type SourceTree } from "../fs/source-tree.ts";

export interface Source {
  /** Path relative to the source root, as the pattern matched it (for messages and base names). */
  rel: string;
  /** The tree it is in (the context, another stage's files, a fetched or written file's directory). */
  tree: SourceTree;
  /** Its path in the tree, symlinks resolved within the tree's root. */
  path: string;
  /** Fetched from a URL or written from a heredoc: ADD copies it as it is, never extracting it. */
  verbatim?: boolean;
  /** COPY --parents: the source's path kept under the destination (after a `/./` in the pattern, if any). */
  kept?: string;
}

/**
 * A source with its place on disk, once its tree is there: what copyInto copies. Or, for a
 * directory that can be read in place (the context's, from its tar), `copyDir` puts its
 * entries under a target directory and `abs` is unused.
 */
export type PlacedSource = Source & { abs: string; copyDir?: (target: string, owner: { uid: number; gid: number }, chmod?: number) => Promise<void> };

const GLOB = /[*?[\\]/;

/** Every path a COPY source pattern names, in sorted order. */
export function resolveSources(tree: SourceTree, pattern: string, what: string): Source[] {
  const clean = posix.normalize(pattern.replace(/^\/+/, ""));
  if (clean === ".." || clean.startsWith("../")) throw new InvalidParameterError(`${what} failed: forbidden path outside the build context: ${pattern} ()`);
  if (!GLOB.test(clean)) {
    const path = resolveIn(tree, clean);
    if (!tree.lstat(path)) throw new InvalidParameterError(`${what} failed: file not found in build context or excluded by .dockerignore: stat ${clean}: file does not exist`);
    return [{ rel: clean === "." ? "" : clean, tree, path }];
  }
  const parts = clean.split("/");
  let found: string[] = [""];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of found) {
      if (!GLOB.test(part)) {
        next.push(base ? `${base}/${part}` : part);
        continue;
      }
      const dir = resolveIn(tree, base);
      const names = tree.lstat(dir)?.kind === "dir" ? tree.readdir(dir) : [];
      const re = globRegex(part);
      for (const n of names.sort()) if (re.test(n)) next.push(base ? `${base}/${n}` : n);
    }
    found = next;
  }
  const out = found.map((rel) => ({ rel, tree, path: resolveIn(tree, rel) })).filter((s) => tree.lstat(s.path));
  if (!out.length) throw new InvalidParameterError(`${what} failed: no source files were specified`);
  return out;
}

/**
 * COPY --parents: each source keeps its path under the destination — the part
 * after a `/./` in the pattern when there is one (BuildKit's pivot), else all of it.
 */
export function keepingParents(pattern: string, sources: Source[]): Source[] {
  const pivot = pattern.indexOf("/./");
  const prefix = pivot < 0 ? "" : posix.normalize(pattern.slice(0, pivot).replace(/^\/+/, ""));
  return sources.map((s) => ({ ...s, kept: prefix && prefix !== "." ? posix.relative(prefix, s.rel) : s.rel }));
}

function globRegex(part: string): RegExp {
  let re = "";
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\" && i + 1 < part.length) re += part[++i]!.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    else if (c === "[") {
      const end = part.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const cls = part.slice(i + 1, end);
        re += `[${cls.startsWith("^") || cls.startsWith("!") ? `^${cls.slice(1)}` : cls}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s");
}

/**
 * Feeds everything a source names into `h`: the source's own entry (already
 * resolved, as COPY follows it) and, for a directory, every entry below —
 * each file by the digest of its content, so a tree on disk and the
 * context's index give the same hash.
 */
export async function hashSource(src: Source, h: Bun.CryptoHasher): Promise<void> {
  const { tree } = src;
  const walk = async (path: string, rel: string) => {
    const st = tree.lstat(path);
    if (!st) throw new InvalidParameterError(`file not found: ${rel}`);
    const kind = { dir: "d", symlink: "l", file: "f", other: "o" }[st.kind];
    h.update(`${kind}\0${rel}\0${st.mode}\0${st.uid}:${st.gid}\0`);
    if (kind === "l") h.update(`${tree.readlink(path)}\0`);
    else if (kind === "f") h.update(`${st.size}\0${await tree.fileDigest(path)}\0`);
    else if (kind === "d") {
      for (const name of tree.readdir(path).sort()) await walk(path ? `${path}/${name}` : name, `${rel}/${name}`);
    }
  };
  await walk(src.path, src.rel);
}
