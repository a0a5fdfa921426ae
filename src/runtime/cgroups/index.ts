// Picks the cgroup flavour at run time: pure v2 when /sys/fs/cgroup is the
// unified tree, else v1 (also on hybrid hosts, whose v2 side holds no controllers).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { cgroupRoot, removeTree, tryRead } from "./fs.ts";
import { CgroupV1 } from "./v1.ts";
import { CgroupV2 } from "./v2.ts";
import type { Cgroup, Resources } from "./types.ts";
import { cgroupParent, containerCgroupPath } from "./container-path.ts";

export type { BlockIO, Cgroup, CgroupStats, DeviceValue, Resources } from "./types.ts";
export { sharesToWeight } from "./v2.ts";
export { cgroupParent, containerCgroupPath, setCgroupParent } from "./container-path.ts";

export function cgroupVersion(): "1" | "2" {
  return existsSync(join(cgroupRoot, "cgroup.controllers")) ? "2" : "1";
}

/** Which of Docker's block I/O settings this host's cgroups can apply (dockerd discards the others with a warning). */
export function blockIOSupport(): { weight: boolean; weightDevice: boolean; throttle: boolean } {
  if (cgroupVersion() === "2") {
    const io = (tryRead(join(cgroupRoot, "cgroup.controllers")) ?? "").split(/\s+/).includes("io");
    return { weight: io, weightDevice: io, throttle: io };
  }
  const has = (f: string) => existsSync(join(cgroupRoot, "blkio", f));
  return {
    weight: has("blkio.weight") || has("blkio.bfq.weight"),
    weightDevice: has("blkio.weight_device") || has("blkio.bfq.weight_device"),
    throttle: has("blkio.throttle.read_bps_device"),
  };
}

/** The cgroup at `path` ("<cgroup parent>/<id>") under every controller; nothing is created until create(). */
export function openCgroup(path: string, resources: Resources = {}): Cgroup {
  return cgroupVersion() === "2" ? new CgroupV2(path, resources) : new CgroupV1(path, resources);
}

/** A container's cgroup (see openCgroup). */
export function containerCgroup(id: string, resources: Resources = {}): Cgroup {
  return openCgroup(containerCgroupPath(id), resources);
}

/**
 * Removes the cgroups of shims that died without cleaning up: a standby's
 * (<parent>/standby-<pid>) or an exited container's set aside for removal
 * (<parent>/exited-<pid>, or exited-<pid>-<n> from a group shim), whose shim is gone; they hold no process.
 */
export function sweepOrphanCgroups(parent = cgroupParent()): void {
  const bases = cgroupVersion() === "2" ? [join(cgroupRoot, parent)] : readdirSync(cgroupRoot).map((c) => join(cgroupRoot, c, parent));
  for (const base of bases) {
    let names: string[];
    try {
      names = readdirSync(base);
    } catch {
      continue;
    }
    for (const name of names) {
      const pid = Number(/^(?:standby|exited)-(\d+)(?:-\d+)?$/.exec(name)?.[1]);
      if (!pid || existsSync(`/proc/${pid}`)) continue;
      try {
        removeTree(join(base, name));
      } catch {
        // still busy: the next sweep gets it
      }
    }
  }
}
