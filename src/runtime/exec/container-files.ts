// A running container's files seen from the daemon, for an exec's look-ups
// (look-up.ts): every path is resolved by openat2(RESOLVE_IN_ROOT) under the
// container's root as its init sees it (/proc/PID/root, with its mounts), so
// no symlink or ".." in the image leads out of it. A FIFO or device where
// /etc/passwd should be is refused rather than waited on.
import { accessSync, closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { posix } from "node:path";
import { openat2 } from "../init/open-in-root.ts";
import type { FileView } from "../file-view.ts";

const O_PATH = 0o10000000;

/** The files under `/proc/PID/root`, relative paths taken from `cwd`; `close` releases the root. */
export function containerFiles(pid: number, cwd: string): FileView & { close(): void } {
  const root = openSync(`/proc/${pid}/root`, O_PATH | constants.O_DIRECTORY);
  const at = (p: string) => posix.resolve(cwd, p);
  const withFd = <T>(p: string, flags: number, fn: (fd: number) => T): T => {
    const fd = openat2(root, at(p), flags);
    try {
      return fn(fd);
    } finally {
      closeSync(fd);
    }
  };
  return {
    read: (p) =>
      withFd(p, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY, (fd) => {
        if (!fstatSync(fd).isFile()) throw new Error(`${p}: not a regular file`);
        return readFileSync(fd, "utf8");
      }),
    kind: (p) => {
      try {
        return withFd(p, O_PATH, (fd) => (fstatSync(fd).isDirectory() ? "dir" : "other"));
      } catch {
        return undefined;
      }
    },
    executable: (p) => {
      try {
        // access(2) through the descriptor's magic link: the file already resolved, not the path again.
        return withFd(p, O_PATH, (fd) => (accessSync(`/proc/self/fd/${fd}`, constants.X_OK), true));
      } catch {
        return false;
      }
    },
    close: () => closeSync(root),
  };
}
