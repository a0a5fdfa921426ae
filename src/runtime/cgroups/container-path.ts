// Where a container's cgroup is, under every controller (alone here: stage 2 needs no cgroup code).

/** The cgroup under which every container of this daemon is made: dockerd's --cgroup-parent. */
let parent = "berth";

/** Set once, at the daemon's start, before any container or standby shim is made. */
export function setCgroupParent(path: string): void {
  parent = path;
}

export function cgroupParent(): string {
  return parent;
}

export function containerCgroupPath(id: string): string {
  return `${parent}/${id}`;
}
