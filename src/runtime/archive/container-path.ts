// A container path with its symlinks followed as the container would follow
// them, across the container's own files and the binds and volumes mounted
// into it: `cp` to `/link/f` where `/link -> /data` and /data is a volume must
// reach the volume. Each link is read by the kernel inside the root that holds
// it (openat2 RESOLVE_IN_ROOT), so a link never leads a lookup onto the host.
import { closeSync, constants, openSync } from "node:fs";
import { linkTargetInRoot } from "../init/open-in-root.ts";

const O_PATH = 0o10000000;

/** Where a container path's files are: a host directory standing for the container path `at`, or nothing to look into (a tmpfs). */
export type PathHolder = { root: string; at: string } | undefined;

const maxLinks = 40;

/**
 * `path` with every symlink on the way resolved (the last component too when
 * `followLast`), as a clean absolute container path. `holderOf` says which
 * host directory holds a container path; where it says none, the rest of the
 * path is kept as written.
 */
export function followContainerPath(path: string, followLast: boolean, holderOf: (containerPath: string) => PathHolder): string {
  let todo = parts(path);
  const done: string[] = [];
  const roots = new Map<string, number>();
  let links = 0;
  try {
    while (todo.length) {
      const name = todo.shift()!;
      if (name === "..") {
        done.pop();
        continue;
      }
      const next = [...done, name];
      if (!todo.length && !followLast) return `/${next.join("/")}`;
      const at = `/${next.join("/")}`;
      const holder = holderOf(at);
      if (!holder) return `/${[...next, ...todo].join("/")}`;
      const rel = at.slice(holder.at === "/" ? 0 : holder.at.length);
      let fd = roots.get(holder.root);
      if (fd === undefined) roots.set(holder.root, (fd = openSync(holder.root, O_PATH | constants.O_DIRECTORY)));
      const target = rel ? linkTargetInRoot(fd, rel) : undefined;
      if (target === undefined || ++links > maxLinks) {
        done.push(name);
        continue;
      }
      if (target.startsWith("/")) done.length = 0;
      todo = [...parts(target), ...todo];
    }
    return `/${done.join("/")}`;
  } finally {
    for (const fd of roots.values()) closeSync(fd);
  }
}

function parts(p: string): string[] {
  return p.split("/").filter((c) => c !== "" && c !== ".");
}
