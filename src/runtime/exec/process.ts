// A running exec as its caller (the daemon) holds it, whoever started it:
// stage 1 (starter.ts) or the daemon itself (direct.ts).
import type { ChildProcess } from "node:child_process";
import { constants as osConstants } from "node:os";
import type { Readable, Writable } from "node:stream";
import type { StartError } from "../start-error.ts";

export interface ExecProcess {
  /** The process the daemon started (0: none, the exec failed first). */
  readonly pid: number;
  readonly stdin?: Writable;
  readonly stdout?: Readable;
  readonly stderr?: Readable;
  /** Once the program is gone and its output ended: its exit code (128+N after signal N), and why it never ran if so. */
  readonly exited: Promise<{ exitCode: number; failure?: StartError }>;
  /** Ends it at once (SIGKILL), and its output with it even if a child of the program holds the pipes. */
  kill(): void;
  /** The size of the terminal it runs on, if any. */
  resize(rows: number, cols: number): void;
}

/** A child's exit as a shell reports it: its code, or 128+N after signal N. */
export function exitCodeFrom(code: number | null, signal: NodeJS.Signals | null): number {
  return signal ? 128 + ((osConstants.signals as Record<string, number>)[signal] ?? 0) : code ?? 0;
}

/** `child` (stage 1, or the runner that becomes the program) as an ExecProcess. */
export function execProcessOf(child: ChildProcess, exited: ExecProcess["exited"], resize: ExecProcess["resize"] = () => {}): ExecProcess {
  return {
    pid: child.pid ?? 0,
    stdin: child.stdin ?? undefined,
    stdout: child.stdout ?? undefined,
    stderr: child.stderr ?? undefined,
    exited,
    // Whatever holds the program (its stage 1) takes it along (PDEATHSIG); the pipes end here even if a child of the program holds them.
    kill: () => {
      child.kill("SIGKILL");
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
    resize,
  };
}
