// A shim started before it is needed: loaded and waiting on stdin for its
// arguments, so starting a container does not wait for the runtime to boot.
// The daemon keeps one ready; if the daemon goes away first, stdin ends and
// the standby exits without having touched anything.
import { closeSync, openSync, readSync } from "node:fs";
import { errnoCode } from "../../errors.ts";

/** Blocks until the spawner writes one line of JSON arguments; on EOF runs `discard` and exits. */
export function awaitAssignment(discard: () => void): string[] {
  const leave = (code: number): never => {
    discard();
    process.exit(code);
  };
  const buf = Buffer.alloc(64 << 10);
  let used = 0;
  for (;;) {
    let n = 0;
    try {
      n = readSync(0, buf, used, buf.length - used, null);
    } catch (e) {
      if (errnoCode(e) === "EAGAIN" || errnoCode(e) === "EINTR") continue;
      leave(0);
    }
    if (n === 0) leave(0); // the daemon closed our stdin without work
    used += n;
    const nl = buf.subarray(0, used).indexOf(10);
    if (nl >= 0) {
      const argv = JSON.parse(buf.subarray(0, nl).toString("utf8"));
      if (!Array.isArray(argv) || !argv.every((a) => typeof a === "string")) leave(2);
      // The container's shim keeps nothing of the daemon's: stdin becomes /dev/null (fd 0 again).
      closeSync(0);
      openSync("/dev/null", "r");
      return argv;
    }
    if (used === buf.length) leave(2);
  }
}
