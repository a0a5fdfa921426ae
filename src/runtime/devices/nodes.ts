// Device nodes a container gets in its /dev beyond the standard few: those of
// `--device`, or all of the host's for --privileged. Read from the host with
// lstat; made in the container with mknod by stage 2, or in a user namespace,
// where mknod is refused, the host's node bound in (as runc does).
import { lstatSync, readdirSync, type Stats } from "node:fs";
import { join } from "node:path";
import type { DeviceRule } from "./rules.ts";

export interface DeviceNode {
  /** Where the node is made, inside the container. */
  path: string;
  /** The host's node: bound in where a user namespace may not mknod. */
  hostPath: string;
  type: "c" | "b";
  major: number;
  minor: number;
  /** Permission bits (0o666…). */
  mode: number;
  uid: number;
  gid: number;
}

const S_IFMT = 0o170000, S_IFCHR = 0o020000, S_IFBLK = 0o060000;

/** The node at `path` as seen at `hostPath`, or undefined when it is no device. */
export function deviceAt(hostPath: string, path: string, st: Stats = lstatSync(hostPath)): DeviceNode | undefined {
  const kind = st.mode & S_IFMT;
  if (kind !== S_IFCHR && kind !== S_IFBLK) return undefined;
  // dev_t as glibc's gnu_dev_major/minor split it (bitwise operators work on 32 bits).
  const hi = Math.floor(st.rdev / 2 ** 32);
  const lo = st.rdev >>> 0;
  return {
    path, hostPath, type: kind === S_IFCHR ? "c" : "b",
    major: (((lo >>> 8) & 0xfff) | (hi & 0xfffff000)) >>> 0, minor: ((lo & 0xff) | ((lo >>> 12) & 0xfff00) | ((hi & 0xfff) << 20)) >>> 0,
    mode: st.mode & 0o7777, uid: st.uid, gid: st.gid,
  };
}

/** Host directories under /dev whose nodes a container never copies (its own instances, or runtime state). */
const skipped = new Set(["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"]);

/**
 * Every device under the host directory `hostDir`, placed under `containerDir`
 * (its relative path kept); symlinks are not followed.
 */
export function devicesUnder(hostDir: string, containerDir: string): DeviceNode[] {
  const out: DeviceNode[] = [];
  const walk = (host: string, ctr: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(host);
    } catch {
      return; // a directory that vanished or is unreadable holds nothing to copy
    }
    for (const name of names) {
      if (depth === 0 && skipped.has(name)) continue;
      const h = join(host, name);
      const st = lstatSync(h, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(h, join(ctr, name), depth + 1);
      else {
        const node = deviceAt(h, join(ctr, name), st);
        if (node) out.push(node);
      }
    }
  };
  walk(hostDir, containerDir, 0);
  return out;
}

/** The rule that lets a container use `node` with `access` ("rwm"). */
export function ruleFor(node: DeviceNode, access: string): DeviceRule {
  return { allow: true, type: node.type, major: node.major, minor: node.minor, access };
}
