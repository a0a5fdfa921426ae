// Starting a process in a new user namespace (a container's stage 2) or in a
// running container's one (an exec), through the starter (trampoline.ts).
import { chownSync, closeSync, readFileSync, readlinkSync, readSync, writeFileSync, writeSync } from "node:fs";
import * as c from "../libc.ts";
import { hostIdOf, mapText, parseMap, type UserNamespace } from "./id-map.ts";

type Proc = ReturnType<typeof Bun.spawn>;

/** The child is made and mapped but waits: `release` lets it exec once the caller has done its part (cgroup, root filesystem). */
export interface MappedChild {
  /** The starter, which stays the child's parent and exits with its status. */
  proc: Proc;
  /** The host pid of the child, PID 1 of its new PID namespace. */
  pid: number;
  release(): void;
  /** Ends both before the release (a start that failed): the child reads the end of fd 4 and exits too. */
  kill(): void;
}

/**
 * `command` in a new user and PID namespace, with `stdio` (0–3) passed on. The
 * maps are written from here, the parent's side, before the child goes on (as
 * runc does): the child has no right to write its own beyond one line.
 */
export function spawnMapped(ns: UserNamespace, command: string[], stdio: unknown[]): MappedChild {
  const proc = Bun.spawn([ns.starter, "c", ...command], { stdio: [...stdio, "pipe"] as any, env: {} });
  const sync = proc.stdio[4] as unknown as number;
  try {
    c.setBlocking(sync);
    const buf = Buffer.alloc(4);
    let got = 0;
    while (got < 4) {
      const n = readSync(sync, buf, got, 4 - got, null);
      if (n <= 0) throw new Error("the user namespace starter ended before its child started");
      got += n;
    }
    const pid = buf.readInt32LE(0);
    if (pid < 0) throw new c.SyscallError("clone(CLONE_NEWUSER)", -pid);
    writeFileSync(`/proc/${pid}/uid_map`, mapText(ns.uidMap));
    writeFileSync(`/proc/${pid}/gid_map`, mapText(ns.gidMap));
    let open = true;
    const done = () => {
      if (open) closeSync(sync);
      open = false;
    };
    return {
      proc,
      pid,
      release: () => {
        writeSync(sync, "g");
        done();
      },
      kill: () => {
        done();
        proc.kill(9);
      },
    };
  } catch (e) {
    proc.kill(9);
    closeSync(sync);
    throw e;
  }
}

let installedStarter: string | undefined;

/** Where the runtime wrote the starter (createRuntime), for the daemon's own helpers that enter containers. */
export function setStarterPath(path: string): void {
  installedStarter = path;
}

/** The starter, when `pid` runs in a user namespace of its own and one was installed. */
export function starterFor(pid: number): string | undefined {
  return installedStarter && hasOwnUserNamespace(pid) ? installedStarter : undefined;
}

/** The command that runs `command` in the user namespace open as fd 4 of the spawn (see userNamespaceOf). */
export function enterCommand(starter: string, command: string[]): string[] {
  return [starter, "e", ...command];
}

/** Whether the process runs in a user namespace other than this one's (a remapped container's). */
export function hasOwnUserNamespace(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/user`) !== readlinkSync("/proc/self/ns/user");
  } catch {
    return false; // gone: the exec fails on its own
  }
}

/** A terminal made for an exec in a remapped container goes to its root and tty group (5), read from the container's own maps. */
export function giveTerminal(pid: number, path: string): void {
  const uid = hostIdOf(parseMap(readFileSync(`/proc/${pid}/uid_map`, "utf8")), 0);
  const gid = hostIdOf(parseMap(readFileSync(`/proc/${pid}/gid_map`, "utf8")), 5);
  if (uid !== undefined && gid !== undefined) chownSync(path, uid, gid);
}
