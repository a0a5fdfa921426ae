// `docker cp` and `docker export` by container: the runtime's views of a
// container's root and its chrooted archive operations.
import { withReadView, withRoot as withRootOf, type RootLayout, type Runtime } from "../../runtime/index.ts";
import type { ContainerMounts } from "../volumes/container-mounts.ts";
import { hasProcess, type ContainerRecord } from "./records.ts";

export { statInRoot as statPath, tarFromRoot as archivePath, extractIntoRoot as extractInto, withReadView, streamFromReadView, type PathStat } from "../../runtime/index.ts";

/** Runs `fn` with a host path to the container's root; mounts the overlay for a stopped container (idmapped as its start does, when `userns`). */
export function withRoot<T>(c: ContainerRecord, p: RootLayout, fn: (root: string) => Promise<T> | T, copied = false, userns?: Runtime["userns"]): Promise<T> {
  return withRootOf(hasProcess(c.state) ? c.state.Pid : 0, p, fn, copied, userns);
}

/**
 * The container path cp works on, its symlinks followed inside the container
 * and through its binds and volumes (the last component too when
 * `followLast`). A container without binds or volumes needs no lookup.
 */
export async function followForCp(mounts: ContainerMounts, c: ContainerRecord, p: RootLayout, path: string, followLast: boolean, copied = false): Promise<string> {
  if (!mounts.hasHostMounts(c.id)) return path;
  return withReadView(p, (view) => mounts.followPath(c.id, path, followLast, view), copied);
}
