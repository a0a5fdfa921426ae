// What the remapped root (the container's root as seen by the host) must be
// able to reach: stage 2 runs as that user before it leaves the host's
// filesystem, and reads its config and binds its /etc files from the
// container's directory. dockerd makes its root 0711, and checks that every
// directory above lets the remapped root pass; berth does the same, and gives
// the containers' directories to the remapped root's group (0710), as dockerd
// gives its per-mapping root.
import { chmodSync, chownSync, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

function passable(dir: string, uid: number, gid: number): boolean {
  const st = statSync(dir);
  if (st.uid === uid) return (st.mode & 0o100) !== 0;
  if (st.gid === gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** Throws dockerd's message when a directory above the data root would stop the remapped root (checked before the daemon makes anything). */
export function checkDataRootPath(dataRoot: string, root: { uid: number; gid: number }): void {
  for (let dir = dirname(resolve(dataRoot)); ; dir = dirname(dir)) {
    if (existsSync(dir) && !passable(dir, root.uid, root.gid)) {
      throw new Error(`a subdirectory in your graphroot path (${dataRoot}) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories`);
    }
    if (dir === "/") break;
  }
}

/** Opens the data root (0711, after the store made it root's alone) and its containers' directory to the remapped root. */
export function openDataRootTo(dataRoot: string, root: { uid: number; gid: number }): void {
  checkDataRootPath(dataRoot, root);
  mkdirSync(dataRoot, { recursive: true, mode: 0o711 });
  chmodSync(dataRoot, 0o711);
  const containers = join(dataRoot, "containers");
  mkdirSync(containers, { recursive: true, mode: 0o710 });
  shareWithRemappedRoot(containers, root.gid);
}

/** A directory the remapped root may pass through but not list (root:GID 0710). */
export function shareWithRemappedRoot(dir: string, gid: number): void {
  chownSync(dir, 0, gid);
  chmodSync(dir, 0o710);
}
