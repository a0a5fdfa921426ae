// Resolving a path inside a root filesystem the way the container would see
// it: symlinks are followed, but an absolute link or `..` is taken relative to
// the root, so no path ever leads outside it (a context or an image cannot
// make the builder read or write the host's files).
import { lstatSync, readlinkSync } from "node:fs";
import { InvalidParameterError } from "../../errors.ts";

const MAX_LINKS = 255;

/**
 * `root` + `path` with every symlink resolved within `root`. The last
 * component is followed too unless `followLast` is false (then a symlink
 * there is returned as itself). Components that do not exist are kept.
 */
export function scopedPath(root: string, path: string, followLast = true): string {
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
    const candidate = `${root}/${[...done, part].join("/")}`;
    if (!followLast && pending.length === 0) {
      done.push(part);
      break;
    }
    let target: string | undefined;
    try {
      if (lstatSync(candidate).isSymbolicLink()) target = readlinkSync(candidate);
    } catch {
      // Missing: keep the name as it is (it will be created, or reported missing).
    }
    if (target === undefined) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new InvalidParameterError(`too many levels of symbolic links: ${path}`);
    if (target.startsWith("/")) done.length = 0;
    pending.unshift(...target.split("/").filter(Boolean));
  }
  return done.length ? `${root}/${done.join("/")}` : root;
}

/** The path relative to root that scopedPath produced. */
export function relativeToRoot(root: string, scoped: string): string {
  return scoped === root ? "" : scoped.slice(root.length + 1);
}
