// A container's user namespace as the runtime is told it: which host uids and
// gids stand for the container's (one range or more, from /etc/subuid and
// /etc/subgid), and the small native starter that creates or joins it.

/** `size` ids from `containerId` in the container are `hostId`… on the host (a line of uid_map). */
export interface IdRange {
  containerId: number;
  hostId: number;
  size: number;
}

export interface UserNamespace {
  uidMap: IdRange[];
  gidMap: IdRange[];
  /** The starter executable (trampoline.ts) the daemon wrote under its exec root. */
  starter: string;
  /**
   * Where overlayfs refuses idmapped layers (or, for copied roots, the data root refuses idmapped
   * mounts), why: the image's layers are then chowned copies per mapping (a vfs container's root a
   * chowned copy of its own), their owners already the host's, mounted as they are.
   */
  chownedLayers?: string;
}

/** The text written to /proc/PID/uid_map or gid_map. */
export function mapText(ranges: IdRange[]): string {
  return ranges.map((r) => `${r.containerId} ${r.hostId} ${r.size}\n`).join("");
}

/** /proc/PID/uid_map or gid_map read back. */
export function parseMap(text: string): IdRange[] {
  return text.split("\n").map((l) => l.trim().split(/\s+/).map(Number)).filter((f) => f.length === 3 && f.every(Number.isFinite))
    .map(([containerId, hostId, size]) => ({ containerId: containerId!, hostId: hostId!, size: size! }));
}

/** The host id of a container id, or undefined when the mapping leaves it out. */
export function hostIdOf(ranges: IdRange[], id: number): number | undefined {
  const r = ranges.find((r) => id >= r.containerId && id < r.containerId + r.size);
  return r ? r.hostId + (id - r.containerId) : undefined;
}

/** A container's ids as the host stores them (what cp writes into a remapped container's files from the host); dockerd's words for one outside the mapping. */
export function hostOwnerIn(maps: { uidMap: IdRange[]; gidMap: IdRange[] }): (uid: number, gid: number) => { uid: number; gid: number } {
  const host = (ranges: IdRange[], id: number) => {
    const h = hostIdOf(ranges, id);
    if (h === undefined) throw new Error(`Container ID ${id} cannot be mapped to a host ID`);
    return h;
  };
  return (uid, gid) => ({ uid: host(maps.uidMap, uid), gid: host(maps.gidMap, gid) });
}

/** The container id that a host id stands for, or undefined when the mapping leaves it out. */
export function containerIdOf(ranges: IdRange[], id: number): number | undefined {
  const r = ranges.find((r) => id >= r.hostId && id < r.hostId + r.size);
  return r ? r.containerId + (id - r.hostId) : undefined;
}

/** What the kernel shows in a user namespace for an id its mapping leaves out (overflowuid and overflowgid). */
export const overflowId = 65534;

/**
 * Host owners as a remapped container sees them: what cp out of it, its export and its commit put
 * in a tar (as dockerd's export does), so that 100000 on the host is 0 again. An id outside the
 * mapping (a bind's file of the host's root) is the overflow id, as `ls -n` shows it inside.
 */
export function containerOwnerIn(maps: { uidMap: IdRange[]; gidMap: IdRange[] }): (uid: number, gid: number) => { uid: number; gid: number } {
  return (uid, gid) => ({ uid: containerIdOf(maps.uidMap, uid) ?? overflowId, gid: containerIdOf(maps.gidMap, gid) ?? overflowId });
}

/** Subordinate ranges laid end to end from container id 0, as dockerd maps them. */
export function rangesFrom(subordinate: { start: number; count: number }[]): IdRange[] {
  let next = 0;
  return subordinate.map((s) => {
    const r = { containerId: next, hostId: s.start, size: s.count };
    next += s.count;
    return r;
  });
}
