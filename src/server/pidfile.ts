// The daemon's pidfile: claimed atomically, refused while it names a live process.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";

/** Claims the pidfile atomically; refuses when it names a live process. */
export function claimPidfile(path: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (e: any) {
      if (e?.code !== "EEXIST") throw e;
    }
    const pid = Number(readFileSync(path, "utf8").trim());
    if (pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new Error(`pid file found, ensure berth is not running or delete ${path}`);
      } catch (e: any) {
        if (e?.code !== "ESRCH") throw e;
      }
    }
    rmSync(path, { force: true }); // stale: its daemon is gone
  }
  throw new Error(`cannot claim the pid file ${path}`);
}
