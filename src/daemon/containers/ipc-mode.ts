// HostConfig.IpcMode container:<name|id>, as in Docker: the joiner shares the
// donor's IPC namespace and its /dev/shm. A container's own /dev/shm lives in
// its own mount namespace, where no bind can take it from, so a donor must be
// "shareable": its /dev/shm is a tmpfs the daemon mounts on the host at
// <container>/shm (dockerd's mounts/shm) before its start and unmounts at its
// end, bound in by the donor and its joiners alike. The default, "private",
// is not shareable and is refused in dockerd's words; a donor on the host's
// IPC shares the host's /dev/shm. The donor is found at create and stored by
// ID (as PidMode's); it must be running at start.
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { ConflictError, InvalidParameterError } from "../../errors.ts";
import { isMountPoint, mountFilesystem, unmountFilesystem } from "../../runtime/index.ts";
import type { ContainerRecord } from "./records.ts";

const prefix = "container:";

/** At create: the donor stored by ID (a rename does not part them). */
export function checkIpcMode(hc: Record<string, any>, find: (ref: string) => ContainerRecord): void {
  const mode = String(hc.IpcMode ?? "");
  if (!mode.startsWith(prefix)) return;
  if (mode === prefix) throw new InvalidParameterError(`invalid IPC mode: ${mode}`);
  hc.IpcMode = `${prefix}${find(mode.slice(prefix.length)).id}`;
}

/** Where a shareable container's /dev/shm is mounted on the host. */
const shmDir = (dir: string) => join(dir, "shm");

/** What the runtime binds and joins for a container's IPC (RuntimeSpec.shmSource, ipcNamespace); a shareable one's tmpfs is mounted here. */
export function ipcAtStart(c: ContainerRecord, dirOf: (c: ContainerRecord) => string, find: (ref: string) => ContainerRecord): { shmSource?: string; ipcNamespace?: string } {
  const mode = String(c.hostConfig.IpcMode ?? "");
  if (mode === "shareable") {
    const dir = shmDir(dirOf(c));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A fresh one at each start, as the container's own would be (one a killed daemon left is dropped).
    unmountFilesystem(dir);
    mountFilesystem("shm", dir, "tmpfs", ["nosuid", "nodev", "noexec", "mode=1777", `size=${Number(c.hostConfig.ShmSize) || 64 << 20}`]);
    return { shmSource: dir };
  }
  if (!mode.startsWith(prefix)) return {};
  const donor = find(mode.slice(prefix.length));
  if (!donor.state.Running || !donor.state.Pid) throw new ConflictError(`container ${donor.id} is not running`);
  const shmSource = donorShm(donor, dirOf, find);
  if (!shmSource) throw new InvalidParameterError(`container ${donor.id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
  return { shmSource, ipcNamespace: `/proc/${donor.state.Pid}/ns/ipc` };
}

/** The donor's /dev/shm on the host: its own tmpfs, the host's, or what its own donor shares; none when private. */
function donorShm(donor: ContainerRecord, dirOf: (c: ContainerRecord) => string, find: (ref: string) => ContainerRecord, depth = 0): string | undefined {
  const mode = String(donor.hostConfig.IpcMode ?? "");
  if (mode === "host") return "/dev/shm";
  if (mode === "shareable") return isMountPoint(shmDir(dirOf(donor))) ? shmDir(dirOf(donor)) : undefined;
  if (mode.startsWith(prefix) && depth < 10) {
    try {
      return donorShm(find(mode.slice(prefix.length)), dirOf, find, depth + 1);
    } catch {
      return undefined; // its donor is gone: nothing to share
    }
  }
  return undefined;
}

/** At the container's end (and before its removal): its shareable tmpfs goes; joiners keep their binds until they end. */
export function releaseShm(dir: string): void {
  unmountFilesystem(shmDir(dir));
}
