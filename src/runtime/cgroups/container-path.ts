// Where a container's cgroup is, under every controller (alone here: stage 2 needs no cgroup code).
export function containerCgroupPath(id: string): string {
  return `berth/${id}`;
}
