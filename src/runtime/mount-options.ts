// mount(8)-style option lists split into mount(2)'s flags and data, and the
// propagation names Docker takes: shared by stage 2's mounts and the daemon's
// host mounts of volumes with their own filesystem.
import { MS } from "./libc.ts";

export const MS_SHARED = 1 << 20;

export const propagationFlags: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  shared: MS_SHARED, rshared: MS_SHARED | MS.REC,
};

/** Options that are flags rather than filesystem data. */
const flagOptions: Record<string, [set: number, clear: number]> = {
  ro: [MS.RDONLY, 0], rw: [0, MS.RDONLY], noexec: [MS.NOEXEC, 0], exec: [0, MS.NOEXEC],
  nosuid: [MS.NOSUID, 0], suid: [0, MS.NOSUID], nodev: [MS.NODEV, 0], dev: [0, MS.NODEV],
};

export function splitOptions(options: string[]): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    const f = flagOptions[o];
    if (f) flags = (flags | f[0]) & ~f[1];
    else data.push(o);
  }
  return { flags, data: data.join(",") };
}

/** A propagation that needs events from the host's mount: its source must be on a shared (or, for slave, a slave) mount. */
export function receivesEvents(propagation: string | undefined): boolean {
  return !!propagation && !propagation.endsWith("private");
}
