// `berth __archive stat|get|put ROOT PATH [ROOTNAME]`: one cp or export
// operation in a process whose root directory is the container's (chroot), so
// that every path it touches, symlinks and ".." included, resolves inside that
// root however the container changes it meanwhile: a directory swapped for a
// symlink to "/" leads to the container's own "/". Data goes through stdin and
// stdout; a failure is one JSON line on stderr with its API status.
import { writeSync } from "node:fs";
import { chroot, chdir } from "../libc.ts";
import { BerthError } from "../../errors.ts";
import { archivePath, extractInto, statPath } from "./in-root.ts";

export async function archiveMain(argv: string[]): Promise<void> {
  const [op, root, path, rootName] = argv as [string, string, string, string?];
  try {
    chroot(root);
    chdir("/");
    if (op === "stat") writeSync(1, JSON.stringify(statPath("/", path, rootName)));
    else if (op === "get") {
      const out = Bun.stdout.writer();
      for await (const chunk of archivePath("/", path, rootName)) {
        out.write(chunk);
        await out.flush();
      }
      await out.end();
    } else if (op === "put") await extractInto("/", path, Bun.stdin.stream());
    else throw new Error(`unknown archive operation ${op}`);
  } catch (e) {
    const status = e instanceof BerthError ? e.status : 500;
    writeSync(2, JSON.stringify({ status, message: (e as Error).message }) + "\n");
    process.exit(1);
  }
}
