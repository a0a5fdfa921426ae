// The host's mount table as the daemon (or stage 2, before it pivots) sees
// it: which mount holds a path and how it propagates, the check Docker makes
// before a bind with slave or shared propagation, and the filesystems the
// daemon mounts on the host for volumes made with the local driver's options.
import { readFileSync, realpathSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { MS, mount, umount2 } from "./libc.ts";
import { splitOptions } from "./mount-options.ts";

export interface MountInfo {
  mountPoint: string;
  shared: boolean;
  slave: boolean;
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The mount holding `path` (the longest mount point above it, the last of those stacked there). */
export function mountOf(path: string): MountInfo {
  let best: MountInfo = { mountPoint: "/", shared: false, slave: false };
  let bestLen = -1;
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const f = line.split(" ");
    if (f.length < 7) continue;
    const mp = unescape(f[4]!);
    const under = mp === "/" || path === mp || path.startsWith(`${mp}/`);
    if (!under || mp.length < bestLen) continue;
    const optional = f.slice(6, f.indexOf("-"));
    best = { mountPoint: mp, shared: optional.some((o) => o.startsWith("shared:")), slave: optional.some((o) => o.startsWith("master:")) };
    bestLen = mp.length;
  }
  return best;
}

/**
 * Docker's refusal of a bind whose propagation cannot work: shared needs a
 * shared source mount, slave a shared or slave one. Returns the message, or
 * undefined when the source's mount propagates as needed.
 */
export function propagationProblem(source: string, propagation: string): string | undefined {
  let path = source;
  try {
    path = realpathSync(source);
  } catch {} // a source that is gone is checked as written; the start fails on it anyway
  const m = mountOf(path);
  if (propagation.endsWith("shared")) return m.shared ? undefined : `path ${path} is mounted on ${m.mountPoint} but it is not a shared mount`;
  if (propagation.endsWith("slave")) return m.shared || m.slave ? undefined : `path ${path} is mounted on ${m.mountPoint} but it is not a shared or slave mount`;
  return undefined;
}

/**
 * Makes `dir` (where the containers' roots are) a private mount of its own
 * when the mount holding it is shared, as on hosts whose `/` is rshared.
 * Stage 2 must keep a root's mount from propagating to the host; without
 * this it makes the holding mount itself private in the container's copy,
 * which also cuts an rshared bind of a source on that mount off the host's
 * peers. The bind of `dir` onto itself shows in those peers, as dockerd's
 * private graph directory did.
 */
export function keepMountPrivate(dir: string): void {
  const m = mountOf(dir);
  if (!m.shared) return;
  if (m.mountPoint !== dir) mount(dir, dir, null, MS.BIND);
  mount(null, dir, null, MS.PRIVATE);
}

/** Every mount point in the daemon's mount table. */
export function mountPoints(): string[] {
  return mountTable().split("\n").map((line) => line.split(" ")[4]).filter((mp): mp is string => !!mp).map(unescape);
}

/** The daemon's mount table as it is now (the text of /proc/self/mountinfo). */
export function mountTable(): string {
  return readFileSync("/proc/self/mountinfo", "utf8");
}

/**
 * Whether what a bind of any of `sources` would carry (the mounts holding it
 * and those under it) differs between two mount tables: a namespace copied
 * at the first (a standby's) would show such a bind stale.
 */
export function mountsDifferFor(sources: string[], before: string, now: string): boolean {
  if (!sources.length) return false;
  const relevant = (table: string) =>
    table.split("\n").filter((line) => {
      const mp = unescape(line.split(" ")[4] ?? "");
      return mp && sources.some((src) => mp === "/" || src === mp || src.startsWith(`${mp}/`) || mp.startsWith(`${src}/`));
    }).join("\n");
  return relevant(before) !== relevant(now);
}

/** A filesystem is mounted right at `path` (it is on another device than its parent). */
export function isMountPoint(path: string): boolean {
  try {
    return statSync(path).dev !== statSync(dirname(path)).dev;
  } catch {
    return false;
  }
}

/** Mounts a volume's own filesystem (`-o type=…,device=…,o=…`) at `target` on the host. */
export function mountFilesystem(device: string, target: string, fstype: string, options: string[]): void {
  const { flags, data } = splitOptions(options);
  mount(device, target, fstype, flags, data || null);
}

/** Detaches what is mounted at `target`; containers that bound it keep their copies until they end. */
export function unmountFilesystem(target: string): void {
  while (isMountPoint(target)) umount2(target, 2 /* MNT_DETACH */);
}
