// Path handling that keeps every write inside the target directory.
// Entry paths are cleaned ("/a" → "a"; ".." that climbs above the root is
// refused). Parent directories are resolved one component at a time with
// lstat; a symlink met on the way is resolved *inside* the target, as if the
// target were the root (what Docker's chrooted unpack and containerd's
// RootPath do), so `evil -> /` then `evil/etc/x` lands in target/etc/x.
// The last component is never followed: it is replaced or created.
import { lstatSync, mkdirSync, readlinkSync } from "node:fs";
import { InvalidDataError } from "../../errors.ts";

const MAX_LINKS = 255;

/** The components of an entry path, relative to the target; throws if it climbs out. */
export function entryParts(path: string, what = "path"): string[] {
  const parts: string[] = [];
  for (const c of path.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") {
      if (parts.length === 0) throw new InvalidDataError(`invalid layer: ${what} ${JSON.stringify(path)} escapes the target directory`);
      parts.pop();
      continue;
    }
    parts.push(c);
  }
  return parts;
}

export class Scope {
  private dirs = new Map<string, string>();

  constructor(readonly root: string) {}

  /** Absolute path of the real directory that `parts` names; missing ones are created (0755). */
  dir(parts: string[], forPath: string): string {
    if (parts.length === 0) return this.root;
    const key = parts.join("/");
    const hit = this.dirs.get(key);
    if (hit !== undefined) return hit;
    const real = this.walk(parts, true, forPath)!;
    this.dirs.set(key, real);
    return real;
  }

  /** Like dir() without creating; undefined when a component is missing. */
  existingDir(parts: string[], forPath: string): string | undefined {
    if (parts.length === 0) return this.root;
    const hit = this.dirs.get(parts.join("/"));
    return hit ?? this.walk(parts, false, forPath);
  }

  /** Something at or under a resolved directory was removed or replaced: cached resolutions may be stale. */
  invalidate(): void {
    this.dirs.clear();
  }

  private walk(parts: string[], create: boolean, forPath: string): string | undefined {
    const stack: string[] = [];
    const queue = parts.slice();
    let links = 0;
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === "" || c === ".") continue;
      if (c === "..") {
        stack.pop(); // clamped at the root, as in a chroot
        continue;
      }
      const p = this.root + "/" + (stack.length ? stack.join("/") + "/" : "") + c;
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) {
        if (!create) return undefined;
        mkdirSync(p, { mode: 0o755 });
        stack.push(c);
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw new InvalidDataError(`invalid layer: too many levels of symbolic links in ${JSON.stringify(forPath)}`);
        const target = readlinkSync(p);
        if (target.startsWith("/")) stack.length = 0;
        queue.unshift(...target.split("/"));
        continue;
      }
      if (!st.isDirectory()) {
        throw new InvalidDataError(`invalid layer: ${JSON.stringify(forPath)}: ${stack.concat(c).join("/")} is not a directory`);
      }
      stack.push(c);
    }
    return stack.length ? this.root + "/" + stack.join("/") : this.root;
  }
}
