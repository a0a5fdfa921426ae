// /sys/fs/cgroup inside the container, as runc mounts it under dockerd: the container's own cgroups,
// read-only unless privileged, so that its programs can read their limits (a JVM sizes its heap from
// memory.max, a Go program its threads from cpu.max). With a private cgroup namespace the mounts show
// the container's cgroup as their root; with the host's, its directories are bound there instead.
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import * as c from "../libc.ts";

export function mountCgroupFs(rootfs: string, opts: { privileged: boolean; hostNamespace: boolean }): void {
  const target = `${rootfs}/sys/fs/cgroup`;
  // sysfs provides the mount point; a kernel without it has no cgroups to show.
  if (!existsSync(target)) return;
  const { NOSUID, NODEV, NOEXEC, RDONLY, BIND, REMOUNT } = c.MS;
  const flags = NOSUID | NODEV | NOEXEC | (opts.privileged ? 0 : RDONLY);
  const own = ownCgroups();
  if (existsSync("/sys/fs/cgroup/cgroup.controllers")) {
    mountOne("cgroup2", "/sys/fs/cgroup", own.get("") ?? "/", target, "", flags, opts.hostNamespace);
    return;
  }
  c.mount("tmpfs", target, "tmpfs", NOSUID | NODEV | NOEXEC, "mode=755");
  for (const [controllers, path] of own) {
    // The unified hierarchy of a hybrid host is left out, as runc leaves it.
    if (!controllers) continue;
    const name = controllers.replace(/^name=/, "");
    const dir = `${target}/${name}`;
    mkdirSync(dir);
    const options = controllers.startsWith("name=") ? `none,${controllers}` : controllers;
    mountOne("cgroup", `/sys/fs/cgroup/${name}`, path, dir, options, flags, opts.hostNamespace);
    // Joined controllers ("cpu,cpuacct") are also found by each name.
    if (controllers.includes(",")) for (const each of controllers.split(",")) symlinkSync(name, `${target}/${each}`);
  }
  // The tmpfs itself read-only too, as the rest of /sys.
  if (!opts.privileged) c.mount(null, target, null, REMOUNT | BIND | RDONLY | NOSUID | NODEV | NOEXEC);
}

/** Controllers → this process's cgroup path in that hierarchy ("" is the unified one). */
function ownCgroups(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

function mountOne(type: string, hostDir: string, path: string, dir: string, options: string, flags: number, hostNamespace: boolean): void {
  const { BIND, REMOUNT } = c.MS;
  if (!hostNamespace) {
    c.mount(type, dir, type, flags, options || null);
    return;
  }
  // In the host's cgroup namespace a new mount would show the whole hierarchy: bind the container's part.
  c.mount(`${hostDir}${path}`, dir, null, BIND);
  c.mount(null, dir, null, REMOUNT | BIND | flags);
}
