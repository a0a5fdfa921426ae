// The daemon's side of an exec. Without a terminal, the daemon starts the
// runner itself (direct.ts). Otherwise stage 1 (`berth __exec`) relays the
// terminal, as a child whose stdio the caller holds, with one started ahead
// and waiting on fd 3 for its config file (as the standby shim waits for a
// container) once a first exec has needed one.
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { Writable } from "node:stream";
import { nodeChildProcess } from "../../builtins.ts";
import { selfCommand } from "../../self.ts";
import { primeCgroupMove } from "../cgroups/prime-move.ts";
import { refillSoon } from "../driver/standby-refill.ts";
import type { ExecConfig } from "./config.ts";
import { starterFor } from "../userns/spawn.ts";
import { runnerImage, runnerPath } from "./runner/code.ts";
import { startDirect } from "./direct.ts";
import { execProcessOf, exitCodeFrom, type ExecProcess } from "./process.ts";

export type { ExecProcess } from "./process.ts";

export class ExecStarter {
  private standby?: ChildProcess;
  private warm = false;

  constructor(private command: string[] = selfCommand()) {}

  /** Keep a stage 1 ready from now on, once an exec has needed one (an idle daemon holds none). */
  keepWarm(): void {
    this.warm = true;
  }

  close(): void {
    this.warm = false;
    this.standby?.kill();
    this.standby = undefined;
  }

  /** An exec was created and its start will follow: begin the slow first cgroup move now. */
  prepare(): void {
    primeCgroupMove();
  }

  /** Starts `cfg` (written to `file` for a stage 1); the caller reads its stdio and its end. */
  start(cfg: ExecConfig, file: string): ExecProcess {
    // Whether the container runs remapped is its own fact: a daemon restarted without --userns-remap still enters those it adopted.
    const starter = starterFor(cfg.pid);
    if (starter) cfg.userns = { starter };
    // The runner does not enter user namespaces: a remapped container's exec keeps the TypeScript stage 2.
    else cfg.runner = runnerPath();
    const image = cfg.runner && !cfg.tty ? runnerImage() : undefined;
    if (image) return startDirect(cfg, image);
    writeFileSync(file, JSON.stringify(cfg));
    const child = this.take(file);
    const control = child.stdio[3] as Writable;
    const exited = new Promise<{ exitCode: number }>((done) =>
      child.on("close", (code, signal) => done({ exitCode: exitCodeFrom(code, signal) })),
    );
    return execProcessOf(child, exited, (rows, cols) => control.write(JSON.stringify({ resize: [rows, cols] }) + "\n"));
  }

  /** fd 3 carries control lines to stage 1: first the config file for a standby, then terminal sizes. */
  private spawn(file?: string): ChildProcess {
    const [cmd, ...pre] = this.command;
    const child = nodeChildProcess().spawn(cmd!, [...pre, "__exec", file ?? "--standby"], { stdio: ["pipe", "pipe", "pipe", "pipe"] });
    // Its pipes fail only once it is gone, which its exit reports.
    for (const s of [child.stdin, child.stdout, child.stderr, child.stdio[3]]) s?.on("error", () => {});
    return child;
  }

  private take(file: string): ChildProcess {
    const ready = this.standby;
    this.standby = undefined;
    if (this.warm) refillSoon(() => this.refill());
    if (ready && ready.exitCode === null && ready.signalCode === null) {
      (ready.stdio[3] as Writable).write(`${file}\n`);
      return ready;
    }
    ready?.kill();
    return this.spawn(file);
  }

  private refill(): void {
    if (this.standby || !this.warm) return;
    const s = this.spawn();
    s.once("exit", () => {
      if (this.standby === s) this.standby = undefined;
    });
    this.standby = s;
  }
}
