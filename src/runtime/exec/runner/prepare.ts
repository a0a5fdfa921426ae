// The starting side of the runner: what stage 2 would look up inside the
// container (the user, the program's path, whether the working directory
// exists) is looked up before it starts, by stage 1 from inside the
// container's mount namespace or by the daemon through the container's root,
// and the runner gets the calls that remain.
import { closeSync, existsSync, openSync } from "node:fs";
import * as c from "../../libc.ts";
import { lookUpExec, type ExecLookup } from "../look-up.ts";
import { memfdWith } from "./memfd.ts";
import { readWaiting } from "../../process.ts";
import type { ExecConfig } from "../config.ts";
import { execProgram } from "./exec-program.ts";
import type { RunnerProgram } from "./program.ts";

/** The runner's descriptors from 4 on: its program, then the namespaces it joins. */
export const FIRST_FD = 4;

export interface PreparedRun {
  program: RunnerProgram;
  /** This process's descriptors to hand the runner as fds 4, 5…; closed by `close`. */
  fds: number[];
  close(): void;
}

/**
 * The runner's program and descriptors for `cfg`, with the user, program and
 * working directory found by `lookUp` (given the container's mount namespace
 * descriptor); the program dies with its parent unless `parentDeath` is false.
 * Throws the StartError the TypeScript stage 2 would report.
 */
export function prepareRun(cfg: ExecConfig, lookUp: (mnt: number | undefined) => ExecLookup, parentDeath = true): PreparedRun {
  const kinds = ["ipc", "uts", "net", "cgroup", "mnt"].filter((ns) => existsSync(`/proc/${cfg.pid}/ns/${ns}`));
  const nsFds = kinds.map((ns) => openSync(`/proc/${cfg.pid}/ns/${ns}`, "r"));
  try {
    const found = lookUp(nsFds[kinds.indexOf("mnt")]);
    const program = execProgram(cfg, { namespaces: kinds.map((kind, i) => ({ kind, fd: FIRST_FD + 1 + i })), ...found }, parentDeath);
    const fds = [memfdWith("berth-exec-program", program.bytes()), ...nsFds];
    return { program, fds, close: () => fds.forEach((f) => closeSync(f)) };
  } catch (e) {
    nsFds.forEach((f) => closeSync(f));
    throw e;
  }
}

/** Stage 1's look-up: with this thread in the container's mount namespace for the while. */
export function lookUpInside(cfg: ExecConfig): (mnt: number | undefined) => ExecLookup {
  return (mnt) => inMountNamespaceOf(mnt, () => lookUpExec(cfg));
}

/**
 * Runs `fn` with this thread in the mount namespace `fd` (its root and
 * working directory that namespace's), then back in its own. setns refuses
 * (EINVAL) a thread whose fs_struct is shared, and a thread Bun starts from
 * this one shares it again, so each setns follows an unshare of it.
 */
function inMountNamespaceOf<T>(fd: number | undefined, fn: () => T): T {
  if (fd === undefined) return fn();
  const own = openSync("/proc/thread-self/ns/mnt", "r");
  try {
    c.unshare(c.CLONE.FS);
    c.setns(fd, c.CLONE.NEWNS);
    try {
      return fn();
    } finally {
      try {
        c.unshare(c.CLONE.FS);
        c.setns(own, c.CLONE.NEWNS);
      } catch (e) {
        // Left in the container's mounts, this process must start nothing more.
        process.stderr.write(`OCI runtime exec failed: exec failed: ${(e as Error).message}\n`);
        process.exit(126);
      }
    }
  } finally {
    closeSync(own);
  }
}

/** Everything the runner wrote on the control fd until it closed (nothing: its execve succeeded). */
export function readReport(fd: number): Buffer {
  const chunk = Buffer.alloc(64);
  const got: Buffer[] = [];
  for (;;) {
    const n = readWaiting(fd, chunk);
    if (n <= 0) return Buffer.concat(got);
    got.push(Buffer.from(chunk.subarray(0, n)));
  }
}
