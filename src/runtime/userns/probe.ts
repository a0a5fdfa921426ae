// Whether this kernel gives overlayfs idmapped lower layers (Linux 5.19+ with
// a filesystem that allows idmapped mounts), or, for a copied root (vfs), whether
// the data root's filesystem can be idmapped at all: tried once at daemon start
// on scratch directories, with a user namespace made and dropped for the test.
import { closeSync, mkdirSync, mkdtempSync, rmdirSync, writeFileSync, statSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as c from "../libc.ts";
import type { UserNamespace } from "./id-map.ts";
import { attachTree, idmappedTree, userNamespaceOf } from "./idmapped-mount.ts";
import { spawnMapped } from "./spawn.ts";

/** undefined when it works; otherwise why not. `overlay`: whether the idmapped view must also serve as an overlay's lower layer. */
export function idmappedOverlayProblem(scratch: string, ns: UserNamespace, overlay = true): string | undefined {
  mkdirSync(scratch, { recursive: true });
  const base = mkdtempSync(join(scratch, "idmap-check-"));
  const [lower, view, upper, work, merged] = ["lower", "view", "upper", "work", "merged"].map((d) => join(base, d)) as [string, string, string, string, string];
  for (const d of [lower, view, upper, work, merged]) mkdirSync(d);
  writeFileSync(join(lower, "f"), "");
  // A child that never runs anything: it waits, mapped, until it is killed below.
  const child = spawnMapped(ns, ["/nonexistent"], ["ignore", "ignore", "ignore", "ignore"]);
  const mounted: string[] = [];
  try {
    const userns = userNamespaceOf(child.pid);
    try {
      const fd = idmappedTree(lower, userns);
      try {
        attachTree(fd, view);
        mounted.push(view);
      } finally {
        closeSync(fd);
      }
    } finally {
      closeSync(userns);
    }
    let seen = view;
    if (overlay) {
      c.mount("overlay", merged, "overlay", 0, `lowerdir=${view},upperdir=${upper},workdir=${work}`);
      mounted.push(merged);
      seen = merged;
    }
    // The lower file, root's on disk, must show the namespace's root (through the overlay).
    const owner = statSync(join(seen, "f")).uid;
    if (owner !== ns.uidMap[0]!.hostId) return `${overlay ? "overlayfs" : "an idmapped mount"} showed an idmapped ${overlay ? "layer's " : ""}file as uid ${owner}`;
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    child.kill();
    for (const m of mounted.reverse()) c.umount2(m, 2);
    // rmdir, not a recursive remove: nothing may be mounted below what is removed.
    for (const d of [view, merged]) rmdirSync(d);
    rmSync(base, { recursive: true, force: true });
  }
}
