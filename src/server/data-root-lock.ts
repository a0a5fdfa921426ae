// One daemon per data root: an exclusive flock on <data-root>/berth.lock, held
// for the daemon's life. The kernel drops it when the process ends, however it
// ends, so a daemon killed with -9 leaves no lock behind; and the descriptor is
// close-on-exec, so the shims a daemon starts (which outlive it) never hold it.
import { FFIType } from "bun:ffi";
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { lazySymbols } from "../ffi/lazy-dlopen.ts";

const libc = lazySymbols("libc.so.6", { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
const LOCK_EX = 2;
const LOCK_NB = 4;

/** Takes the data root for this process; throws, naming the holder, when another daemon has it. Returns the release. */
export function lockDataRoot(dataRoot: string): () => void {
  mkdirSync(dataRoot, { recursive: true, mode: 0o700 });
  const path = join(dataRoot, "berth.lock");
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  if (libc.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    const holder = readFileSync(path, "utf8").trim();
    closeSync(fd);
    throw new Error(`the data root ${dataRoot} is in use by another berth daemon${holder ? ` (pid ${holder})` : ""}: stop it, or give this one another --data-root`);
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  return () => closeSync(fd);
}
