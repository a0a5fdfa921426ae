// Stage 2's steps that differ inside a user namespace, where its root may
// mount but not make device nodes, nor mount sysfs for a network namespace
// the host's root made (a bridge network's): runc's answers, binds of the
// host's own.
import { closeSync, openSync } from "node:fs";
import * as c from "../libc.ts";

/** The host's device node bound over an empty file at `target` (mknod is refused in a user namespace). */
export function bindDeviceNode(hostPath: string, target: string): void {
  closeSync(openSync(target, "a", 0o000));
  c.mount(hostPath, target, null, c.MS.BIND);
}

/** sysfs, or where the network namespace is not the container's own, the host's /sys bound read-only. */
export function mountSysfs(target: string, flags: number): void {
  try {
    c.mount("sysfs", target, "sysfs", flags);
  } catch (e) {
    if ((e as c.SyscallError).code !== "EPERM") throw e;
    c.mount("/sys", target, null, c.MS.BIND | c.MS.REC);
    c.mount(null, target, null, c.MS.BIND | c.MS.REMOUNT | c.MS.RDONLY | c.MS.NOSUID | c.MS.NODEV | c.MS.NOEXEC);
  }
}
