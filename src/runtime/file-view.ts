// The files a look-up reads (a user in /etc/passwd, a program on $PATH, a
// working directory): those of this process's own mount namespace, or those
// under a container's root seen from outside it (exec/container-files.ts).
// Relative paths are taken from `cwd`, where the program will run.
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";

export interface FileView {
  /** The file's text; throws when it cannot be read. */
  read(path: string): string;
  /** What the path names, symlinks followed; undefined when nothing is there. */
  kind(path: string): "dir" | "other" | undefined;
  /** Whether this (root) process may execute it. */
  executable(path: string): boolean;
}

/** The files as this process sees them. */
export function ownFiles(cwd?: string): FileView {
  const at = (p: string) => (cwd ? resolve(cwd, p) : p);
  return {
    read: (p) => readFileSync(at(p), "utf8"),
    kind: (p) => {
      try {
        return statSync(at(p)).isDirectory() ? "dir" : "other";
      } catch {
        return undefined;
      }
    },
    executable: (p) => {
      try {
        accessSync(at(p), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
  };
}
