// Idmapped mounts (Linux 5.12+): a detached copy of a directory's mount whose
// files show the owners of a user namespace's mapping — host uid 0 seen as
// the namespace's root's host uid (100000…) — with nothing on disk changed.
// The image's layers are shared this way by every mapping: no chowned copy.
import { ptr } from "bun:ffi";
import { closeSync, openSync } from "node:fs";
import * as c from "../libc.ts";

// The same numbers on x86_64 and arm64 (the new mount API came after the tables were unified).
const SYS_open_tree = 428;
const SYS_move_mount = 429;
const SYS_mount_setattr = 442;

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_RECURSIVE = 0x8000;
const OPEN_TREE_CLONE = 1;
const OPEN_TREE_CLOEXEC = 0o2000000;
const MOUNT_ATTR_IDMAP = 0x00100000;
const MOVE_MOUNT_F_EMPTY_PATH = 0x4;

/** A detached, idmapped copy of the mount at `dir` (its descriptor), mapped by the user namespace open as `usernsFd`. */
export function idmappedTree(dir: string, usernsFd: number): number {
  const path = c.cstr(dir);
  const fd = c.syscall(`open_tree ${dir}`, SYS_open_tree, AT_FDCWD, ptr(path) as unknown as number, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  try {
    // struct mount_attr { attr_set, attr_clr, propagation, userns_fd }
    const attr = new BigUint64Array([BigInt(MOUNT_ATTR_IDMAP), 0n, 0n, BigInt(usernsFd)]);
    const empty = c.cstr("");
    c.syscall(`mount_setattr ${dir}`, SYS_mount_setattr, fd, ptr(empty) as unknown as number, AT_EMPTY_PATH | AT_RECURSIVE, ptr(attr) as unknown as number, 32);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** Attaches a detached mount (idmappedTree) at `target`, an existing directory. */
export function attachTree(fd: number, target: string): void {
  const empty = c.cstr("");
  const to = c.cstr(target);
  c.syscall(`move_mount ${target}`, SYS_move_mount, fd, ptr(empty) as unknown as number, AT_FDCWD, ptr(to) as unknown as number, MOVE_MOUNT_F_EMPTY_PATH);
}

/** The user namespace of a process, open for mount_setattr or setns. */
export function userNamespaceOf(pid: number): number {
  return openSync(`/proc/${pid}/ns/user`, "r");
}
