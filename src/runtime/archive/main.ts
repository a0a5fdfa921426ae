// `berth __archive stat|get|put ROOT PATH [ROOTNAME [IDMAPS]]`: one cp or export
// operation in a process whose root directory is the container's (chroot), so
// that every path it touches, symlinks and ".." included, resolves inside that
// root however the container changes it meanwhile: a directory swapped for a
// symlink to "/" leads to the container's own "/". Data goes through stdin and
// stdout; a failure is one JSON line on stderr with its API status. IDMAPS
// (JSON uidMap and gidMap, a remapped container's) translates owners: a put
// shifts the tar's into the container's range on the host (where the helper
// does not run in its user namespace), a get shifts the host's back.
import { writeSync } from "node:fs";
import { chroot, chdir } from "../libc.ts";
import { BerthError } from "../../errors.ts";
import { archivePath, extractInto, statPath } from "./in-root.ts";
import { containerOwnerIn, hostOwnerIn } from "../userns/id-map.ts";

export async function archiveMain(argv: string[]): Promise<void> {
  const [op, root, path, name, idMaps] = argv as [string, string, string, string?, string?];
  const rootName = name || undefined;
  const ids = idMaps ? JSON.parse(idMaps) : undefined;
  try {
    chroot(root);
    chdir("/");
    if (op === "stat") writeSync(1, JSON.stringify(statPath("/", path, rootName)));
    else if (op === "get") {
      const out = Bun.stdout.writer();
      for await (const chunk of archivePath("/", path, rootName, ids && containerOwnerIn(ids))) {
        out.write(chunk);
        await out.flush();
      }
      await out.end();
    } else if (op === "put") await extractInto("/", path, Bun.stdin.stream(), ids && hostOwnerIn(ids));
    else throw new Error(`unknown archive operation ${op}`);
  } catch (e) {
    const status = e instanceof BerthError ? e.status : 500;
    writeSync(2, JSON.stringify({ status, message: (e as Error).message }) + "\n");
    process.exit(1);
  }
}
