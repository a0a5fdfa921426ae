// Resolving a path inside a root filesystem the way the container would see
// it: symlinks are followed, but an absolute link or `..` is taken relative to
// the root, so no path ever leads outside it (a context or an image cannot
// make the builder read or write the host's files).
import { lstatSync, readlinkSync } from "node:fs";
import { InvalidParameterError } from "../../errors.ts";

const MAX_LINKS = 255;

/**
 * `path` relative to a root with every symlink resolved within it, the root
 * seen through `linkAt` (a relative path → its symlink target, or undefined
 * when it is no symlink or missing). The last component is followed too
 * unless `followLast` is false. Components that do not exist are kept.
 */
export function scopedRel(path: string, linkAt: (rel: string) => string | undefined, followLast = true): string {
  const pending = path.split("/").filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === ".") continue;
    if (part === "..") {
      done.pop();
      continue;
    }
    if (!followLast && pending.length === 0) {
      done.push(part);
      break;
    }
    const target = linkAt([...done, part].join("/"));
    if (target === undefined) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new InvalidParameterError(`too many levels of symbolic links: ${path}`);
    if (target.startsWith("/")) done.length = 0;
    pending.unshift(...target.split("/").filter(Boolean));
  }
  return done.join("/");
}

/** `root` + `path` with every symlink on the host's disk resolved within `root` (see scopedRel). */
export function scopedPath(root: string, path: string, followLast = true): string {
  const rel = scopedRel(path, (p) => {
    try {
      const candidate = `${root}/${p}`;
      return lstatSync(candidate).isSymbolicLink() ? readlinkSync(candidate) : undefined;
    } catch {
      return undefined; // missing: kept as it is (it will be created, or reported missing)
    }
  }, followLast);
  return rel ? `${root}/${rel}` : root;
}

/** The path relative to root that scopedPath produced. */
export function relativeToRoot(root: string, scoped: string): string {
  return scoped === root ? "" : scoped.slice(root.length + 1);
}
