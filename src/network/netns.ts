// Network namespaces the daemon makes for containers, kept alive by a bind
// mount of their nsfs file (as `ip netns` and dockerd do), so that the daemon
// can wire a namespace before the container's first process joins it.
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CLONE, mount, setns, umount2, unshare } from "../runtime/libc.ts";

/** Makes a new network namespace and pins it at `path`. */
export function createNetns(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, "");
  const home = openSync("/proc/thread-self/ns/net", "r");
  try {
    unshare(CLONE.NEWNET);
    try {
      mount("/proc/thread-self/ns/net", path, null, 4096 /* MS_BIND */);
    } finally {
      setns(home, CLONE.NEWNET);
    }
  } catch (e) {
    rmSync(path, { force: true });
    throw e;
  } finally {
    closeSync(home);
  }
}

/** Unpins a namespace made by createNetns: it goes when its last process does. */
export function removeNetns(path: string): void {
  if (!existsSync(path)) return;
  try {
    umount2(path, 2 /* MNT_DETACH */);
  } catch {
    // Not a mount (never pinned, or unpinned already): the file goes below either way.
  }
  rmSync(path, { force: true });
}
