// `docker cp` and `docker export` by container: the runtime's views of a
// container's root and its chrooted archive operations.
import { withRoot as withRootOf, type RootLayout } from "../../runtime/index.ts";
import type { ContainerRecord } from "./records.ts";

export { statInRoot as statPath, tarFromRoot as archivePath, extractIntoRoot as extractInto, withReadView, streamFromReadView, type PathStat } from "../../runtime/index.ts";

/** Runs `fn` with a host path to the container's root; mounts the overlay for a stopped container. */
export function withRoot<T>(c: ContainerRecord, p: RootLayout, fn: (root: string) => Promise<T> | T, copied = false): Promise<T> {
  return withRootOf(c.state.Running ? c.state.Pid : 0, p, fn, copied);
}
