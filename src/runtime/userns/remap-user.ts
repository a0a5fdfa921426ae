// Making the `default` remap user, as dockerd makes `dockremap` (`useradd -r
// -s /bin/false` and, when the distribution's tools gave it none, 65536
// subordinate uids and gids from the first free range at or above 100000) —
// written here rather than by useradd, which a host need not have. The files
// are edited as shadow-utils edits them: under the lckpwdf lock
// (/etc/.pwd.lock) and a FILE.lock of each, each replaced whole by rename
// with its mode and owner kept, so a reader never sees half a file.
import { FFIType, ptr } from "bun:ffi";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, chownSync, writeSync, constants } from "node:fs";
import { join } from "node:path";
import { lazySymbols } from "../../ffi/lazy-dlopen.ts";
import { groupEntries, passwdEntries, subordinateRanges } from "./host-ids.ts";

const libc = lazySymbols("libc.so.6", { fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 } });
const F_SETLKW = 7;
const F_WRLCK = 1;

export const rangeStart = 100000;
export const rangeSize = 65536;

/** Adds `name` (user, group of the same name, subordinate ranges) unless present. */
export function addRemapUser(name: string, etc = "/etc"): void {
  const unlock = lockFiles(etc, ["passwd", "group", "shadow", "gshadow", "subuid", "subgid"]);
  try {
    let user = passwdEntries(etc).find((p) => p.name === name);
    if (!user) {
      const gid = groupEntries(etc).find((g) => g.name === name)?.gid ?? addGroup(etc, name);
      const uid = freeSystemId(new Set(passwdEntries(etc).map((p) => p.uid)), gid);
      append(etc, "passwd", `${name}:x:${uid}:${gid}::/nonexistent:/bin/false\n`);
      if (existsSync(join(etc, "shadow"))) append(etc, "shadow", `${name}:!:${Math.floor(Date.now() / 86400000)}::::::\n`);
      user = { name, uid, gid };
    }
    for (const file of ["subuid", "subgid"] as const) {
      if (subordinateRanges(etc, file).some((r) => r.name === name)) continue;
      append(etc, file, `${name}:${freeRange(etc, file)}:${rangeSize}\n`);
    }
  } finally {
    unlock();
  }
}

function addGroup(etc: string, name: string): number {
  const gid = freeSystemId(new Set(groupEntries(etc).map((g) => g.gid)));
  append(etc, "group", `${name}:x:${gid}:\n`);
  if (existsSync(join(etc, "gshadow"))) append(etc, "gshadow", `${name}:!::\n`);
  return gid;
}

/** A system id as useradd -r picks one: the highest free below 1000 (the group's number first, when free). */
function freeSystemId(used: Set<number>, prefer?: number): number {
  if (prefer !== undefined && prefer >= 100 && prefer < 1000 && !used.has(prefer)) return prefer;
  for (let id = 999; id >= 100; id--) if (!used.has(id)) return id;
  throw new Error("no free system id below 1000");
}

/** The first start at or above 100000 whose 65536 ids overlap no range of the file (uids and gids each their own, as dockerd finds them). */
function freeRange(etc: string, file: "subuid" | "subgid"): number {
  const taken = subordinateRanges(etc, file).sort((a, b) => a.start - b.start);
  let start = rangeStart;
  for (const r of taken) {
    if (r.start < start + rangeSize && start < r.start + r.count) start = r.start + r.count;
  }
  return start;
}

/** The file with `line` added, replaced whole (write, fsync, rename) with its mode and owner. */
function append(etc: string, file: string, line: string): void {
  const path = join(etc, file);
  const old = existsSync(path) ? readFileSync(path, "utf8") : "";
  const st = existsSync(path) ? statSync(path) : undefined;
  const tmp = `${path}+`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, st ? st.mode & 0o7777 : 0o644);
  try {
    writeSync(fd, old && !old.endsWith("\n") ? `${old}\n${line}` : old + line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (st) chownSync(tmp, st.uid, st.gid);
  renameSync(tmp, path);
}

/** lckpwdf's lock, then FILE.lock for each file (O_EXCL, as shadow-utils' lock files exclude each other). */
function lockFiles(etc: string, files: string[]): () => void {
  const pwdLock = openSync(join(etc, ".pwd.lock"), constants.O_WRONLY | constants.O_CREAT, 0o600);
  // struct flock: l_type, l_whence (shorts), then l_start, l_len, l_pid: the whole file, for writing.
  const flock = Buffer.alloc(32);
  flock.writeInt16LE(F_WRLCK, 0);
  if (libc.fcntl(pwdLock, F_SETLKW, ptr(flock)) !== 0) {
    closeSync(pwdLock);
    throw new Error(`cannot lock ${join(etc, ".pwd.lock")}`);
  }
  const held: string[] = [];
  const release = () => {
    for (const l of held) rmSync(l, { force: true });
    closeSync(pwdLock);
  };
  try {
    for (const f of files) {
      const lock = join(etc, `${f}.lock`);
      closeSync(openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
      held.push(lock);
    }
  } catch (e) {
    release();
    throw new Error(`cannot lock ${join(etc, "passwd")} and its companions: ${(e as Error).message}; try again later`);
  }
  return release;
}
