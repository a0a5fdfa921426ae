// isTerminal answers as isatty(3) does while loading node:tty only for a character device.
import { expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isatty } from "node:tty";
import { isTerminal } from "../../src/cli/stdio.ts";

test("a pseudo-terminal is a terminal; /dev/null, /dev/zero, a file, a pipe and a closed fd are not", () => {
  const dir = mkdtempSync("/tmp/berth-test-isterm-");
  const fds: number[] = [];
  const open = (p: string, flags = "r") => {
    const fd = openSync(p, flags);
    fds.push(fd);
    return fd;
  };
  try {
    writeFileSync(join(dir, "f"), "x");
    const cases: [string, number][] = [
      ["/dev/ptmx", open("/dev/ptmx", "r+")],
      ["/dev/null", open("/dev/null")],
      ["/dev/zero", open("/dev/zero")],
      ["a file", open(join(dir, "f"))],
    ];
    // A FIFO opened for reading and writing does not wait for a peer.
    expect(Bun.spawnSync(["mkfifo", join(dir, "fifo")]).exitCode).toBe(0);
    cases.push(["a pipe", open(join(dir, "fifo"), "r+")]);
    for (const [what, fd] of cases) expect({ what, tty: isTerminal(fd) }).toEqual({ what, tty: isatty(fd) });
    expect(isTerminal(fds[0]!)).toBe(true);
    expect(isTerminal(fds[1]!)).toBe(false);
    const closed = open("/dev/ptmx", "r+");
    closeSync(closed);
    fds.pop();
    expect(isTerminal(closed)).toBe(false);
  } finally {
    for (const fd of fds) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});
