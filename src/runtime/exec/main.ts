// `berth __exec FILE`, stage 1 of an exec: spawned by the daemon with pipes
// for stdio. It starts stage 2 inside the container's PID namespace (the
// same setns dance as the shim), puts it in the container's cgroup, relays a
// PTY when asked, and exits with the program's exit code.
import { closeSync, openSync, readFileSync, writeSync, createReadStream, constants as fsConstants } from "node:fs";
import * as c from "../libc.ts";
import { openCgroup } from "../cgroups.ts";
import { selfCommand } from "../../self.ts";
import { constants as osConstants } from "node:os";
import type { ExecConfig } from "./config.ts";
import { readControlReply } from "../process.ts";

export async function execMain(argv: string[]): Promise<void> {
  const file = argv[0]!;
  const cfg: ExecConfig = JSON.parse(readFileSync(file, "utf8"));
  const target = openSync(`/proc/${cfg.pid}/ns/pid`, "r");
  const own = openSync("/proc/self/ns/pid", "r");
  let pty: { master: number; slavePath: string } | undefined;
  let slave: number | undefined;
  if (cfg.tty) {
    const root = `/proc/${cfg.pid}/root`;
    pty = c.openPty(`${root}/dev/pts/ptmx`);
    slave = openSync(`${root}${pty.slavePath}`, fsConstants.O_RDWR | fsConstants.O_NOCTTY);
  }
  let proc: ReturnType<typeof Bun.spawn>;
  c.setns(target, c.CLONE.NEWPID);
  try {
    proc = Bun.spawn([...selfCommand(), "__exec-enter", file], {
      stdio: (cfg.tty ? [slave!, slave!, slave!, "pipe"] : ["inherit", "inherit", "inherit", "pipe"]) as any,
      env: {},
    });
  } finally {
    c.setns(own, c.CLONE.NEWPID);
    closeSync(own);
    closeSync(target);
  }
  if (slave !== undefined) closeSync(slave);
  try {
    openCgroup(cfg.cgroupPath, {}).addProcess(proc.pid);
  } catch {
    // The container's cgroup is gone (it is exiting); the program fails on its own.
  }
  const control = proc.stdio[3] as unknown as number;
  writeSync(control, "go\n");
  const failure = readControlReply(control);
  closeSync(control);
  if (failure) {
    const err = JSON.parse(failure) as { code: number; message: string };
    process.stderr.write(`OCI runtime exec failed: ${err.message}\n`);
    await proc.exited;
    process.exit(err.code);
  }
  if (pty) {
    const master = pty.master;
    process.stdin.on("data", (b: Buffer) => {
      try {
        writeSync(master, b);
      } catch {}
    });
    process.on("SIGWINCH", () => {});
    const out = createReadStream("", { fd: master, autoClose: false, highWaterMark: 65536 });
    out.on("data", (b) => process.stdout.write(b));
    out.on("error", () => {});
  }
  const code = await proc.exited;
  const sig = proc.signalCode ? (osConstants.signals as Record<string, number>)[proc.signalCode] ?? 0 : 0;
  if (pty) await Bun.sleep(50);
  process.exit(sig ? 128 + sig : code ?? 0);
}
