// A container's or an exec's program that could not be started. Stage 2 and
// the shims send it up as one JSON line; the daemon answers with it.
import { BerthError } from "../errors.ts";

/** The exit code dockerd records for an exec whose program could not be started, whatever the reason (even one not found). */
export const EXEC_NOT_STARTED = 126;

export class StartError extends BerthError {
  /** `exitCode` is Docker's: 125 the runtime failed, 126 the program cannot run, 127 it was not found. */
  constructor(message: string, readonly exitCode: number) {
    // A program the image cannot run is the caller's problem (400), as in dockerd.
    super(message, exitCode === 126 || exitCode === 127 ? 400 : 500);
  }

  /** The line that carries it between processes. */
  toReport(): string {
    return JSON.stringify({ code: this.exitCode, message: this.message });
  }

  static fromReport(line: string): StartError {
    const r = JSON.parse(line) as { code: number; message: string };
    return new StartError(r.message, r.code);
  }
}
