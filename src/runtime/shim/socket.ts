// The shim's unix sockets live in the container directory. sun_path holds
// only 107 bytes, so a longer path is reached through /proc/self/fd/N of the
// opened directory, which both bind() and connect() resolve.
import { openSync, constants } from "node:fs";
import { basename, dirname } from "node:path";

const maxSunPath = 107;
const dirFds = new Map<string, number>();

/** A path to `path` that fits in sun_path (the directory stays open in this process). */
export function shortSocketPath(path: string): string {
  if (Buffer.byteLength(path) <= maxSunPath) return path;
  const dir = dirname(path);
  let fd = dirFds.get(dir);
  if (fd === undefined) {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    dirFds.set(dir, fd);
  }
  return `/proc/self/fd/${fd}/${basename(path)}`;
}
