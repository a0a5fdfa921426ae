// The daemon's pidfile: claimed atomically, refused while it names a live process.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { errnoCode } from "../errors.ts";

/** Whether a process runs: one killed but not yet reaped by its parent (a zombie) is gone. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z"; // the state follows the command's closing parenthesis
  } catch {
    return false;
  }
}

/** Claims the pidfile atomically; refuses when it names a running process. */
export function claimPidfile(path: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (e) {
      if (errnoCode(e) !== "EEXIST") throw e;
    }
    const pid = Number(readFileSync(path, "utf8").trim());
    if (pid > 0 && pid !== process.pid && isRunning(pid)) {
      throw new Error(`pid file found, ensure berth is not running or delete ${path}`);
    }
    rmSync(path, { force: true }); // stale: its daemon is gone
  }
  throw new Error(`cannot claim the pid file ${path}`);
}
