// Volumes with a filesystem of their own (`-o type=tmpfs`, a device): like
// Docker's local driver, the filesystem is mounted once on the host at the
// volume's `_data` while containers use it, and each container binds that,
// so two containers share one tmpfs. The mount is made at the first user's
// start and detached when the last user's run ends or the volume goes; the
// mount table itself is the count, so a restarted daemon knows it too.
import { SystemError } from "../../errors.ts";
import { isMountPoint, mountFilesystem, unmountFilesystem } from "../../runtime/index.ts";
import type { OptionMount } from "./local-options.ts";

export class VolumeFilesystems {
  /** Mounts the volume's filesystem at `data` unless a container already did. */
  acquire(data: string, opt: Extract<OptionMount, { kind: "fs" }>): void {
    if (isMountPoint(data)) return;
    try {
      mountFilesystem(opt.device, data, opt.fstype, opt.options);
    } catch (e) {
      throw new SystemError(`error while mounting volume '${data}': failed to mount local volume: mount ${opt.device}:${data}, data: ${opt.options.join(",")}: ${(e as Error).message}`);
    }
  }

  /** Detaches the filesystem at `data`, if one is mounted there (no container holds it any longer). */
  release(data: string): void {
    unmountFilesystem(data);
  }
}
