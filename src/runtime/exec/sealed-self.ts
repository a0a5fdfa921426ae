// The CVE-2019-5736 class: a process that enters a container (an exec's stage
// 2) runs this executable, so a container that makes it execve /proc/self/exe
// (a `#!/proc/self/exe` script, a symlink) gets a handle on the engine's own
// binary, and could write it once nothing runs it. The per-exec process that
// starts stage 2 therefore moves to a mount namespace of its own in which the
// executable is bind-mounted read-only over itself: /proc/PID/exe then names a
// file on a read-only mount, and a write through it fails (EROFS) whatever
// the container does. runc answered the same hole with a read-only copy.
import * as c from "../libc.ts";

let sealed = false;
const sealedFiles = new Set<string>();

/** On the calling (main) thread, whose children Bun.spawn makes: this executable is read-only from here on. */
export function sealSelf(): void {
  if (sealed) return;
  c.unshare(c.CLONE.NEWNS);
  // Nothing mounted here may reach the host's namespace.
  c.mount(null, "/", null, c.MS.REC | c.MS.PRIVATE);
  sealed = true;
  sealFile(process.execPath);
}

/** Another executable that enters containers (the exec runner), read-only here as this one is. */
export function sealFile(path: string): void {
  sealSelf();
  if (sealedFiles.has(path)) return;
  c.mount(path, path, null, c.MS.BIND);
  c.mount(null, path, null, c.MS.BIND | c.MS.REMOUNT | c.MS.RDONLY | c.MS.NOSUID | c.MS.NODEV);
  sealedFiles.add(path);
}
