// compose watch's sync: the changed host paths into each container of a
// service, as compose's tar syncer does it. Paths that still exist go in one
// tar through PUT /containers/{id}/archive at "/" (a directory with all it
// holds, owners and modes kept), which the daemon extracts inside the
// container's root, so that no target can reach past it; paths that are gone
// are removed with `rm -rf` run in the container.
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from "node:fs";
import { basename, join, posix } from "node:path";
import type { Client } from "../../../client/client.ts";
import type { TarWriteItem } from "../../../layer/tar/write.ts";
import { runHook } from "./hooks.ts";
import { projectContainers } from "./project-containers.ts";

export interface PathMapping {
  hostPath: string;
  containerPath: string;
}

// Files under this size are read whole, so that the size written is the size read even if the file changes meanwhile.
const readWhole = 5_000_000;

function lstat(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function entryFor(hostPath: string, name: string, st: Stats): TarWriteItem | undefined {
  const base = { path: name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
  if (st.isDirectory()) return { entry: { ...base, path: `${name}/`, type: "dir", size: 0 } };
  if (st.isSymbolicLink()) return { entry: { ...base, type: "symlink", size: 0, linkname: readlinkSync(hostPath) } };
  if (!st.isFile()) return undefined; // sockets, fifos, devices: nothing compose syncs either
  if (st.size < readWhole) {
    let data: Buffer;
    try {
      data = readFileSync(hostPath);
    } catch {
      return undefined; // gone since the walk: its deletion is the next batch's
    }
    return { entry: { ...base, type: "file", size: data.length }, body: data };
  }
  return { entry: { ...base, type: "file", size: st.size }, body: Bun.file(hostPath).stream() };
}

/**
 * The tar entries of the mappings that exist: a file as itself, a directory with everything below it. The
 * walk only lists them; each file is read as the tar takes it, so that a large tree is never held whole.
 */
export function* archiveEntries(mappings: PathMapping[]): Generator<TarWriteItem> {
  const found = new Map<string, { hostPath: string; name: string; st: Stats }>();
  const add = (hostPath: string, name: string) => {
    const st = lstat(hostPath);
    if (!st) return;
    found.set(name, { hostPath, name, st });
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(hostPath);
      } catch {
        return; // unreadable now: what it holds is not synced, as a walk error skips it in compose
      }
      for (const n of names.sort()) add(join(hostPath, n), posix.join(name, n));
    }
  };
  for (const m of mappings) {
    const name = m.containerPath.replace(/^\/+/, "");
    add(m.hostPath, m.containerPath.endsWith("/") ? posix.join(name, basename(m.hostPath)) : name);
  }
  for (const { hostPath, name, st } of found.values()) {
    const item = entryFor(hostPath, name, st);
    if (item) yield item;
  }
}

/** Syncs the mappings into every container of the service; the errors of all containers together, as compose reports them. */
export async function syncService(client: Client, project: string, service: string, mappings: PathMapping[]): Promise<void> {
  const { tarStream } = await import("../../../layer/tar/write.ts");
  const containers = await projectContainers(client, project, { all: true, services: [service] });
  const gone = mappings.filter((m) => !lstat(m.hostPath)).map((m) => m.containerPath);
  const present = mappings.filter((m) => lstat(m.hostPath));
  const errors: string[] = [];
  await Promise.all(containers.map(async (ct) => {
    if (gone.length) {
      const said: string[] = [];
      const code = await runHook(client, ct.Id, { command: ["rm", "-rf", ...gone] }, false, (l) => said.push(l)).catch((e: Error) => (said.push(e.message), -1));
      if (code !== 0) errors.push(`deleting paths in ${ct.Id}: ${said.join(" ").trim() || `exit code ${code}`}`);
    }
    if (!present.length) return;
    await client.request("PUT", `/containers/${ct.Id}/archive`, { query: { path: "/", copyUIDGID: true }, headers: { "Content-Type": "application/x-tar" }, body: tarStream(archiveEntries(present)) as any })
      .catch((e: Error) => errors.push(`copying files to ${ct.Id}: ${e.message}`));
  }));
  if (errors.length) throw new Error(errors.join("\n"));
}
