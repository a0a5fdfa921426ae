// Docker's json-file log: one {"log","stream","time"} object per line of output;
// a partial line is held until its newline (or 16 KiB, or the end).
import { openSync, writeSync, closeSync } from "node:fs";
import { nowRfc3339 } from "./state.ts";

const maxPartial = 16 * 1024;

export class LogWriter {
  private fd: number;
  private partial: Record<"stdout" | "stderr", string> = { stdout: "", stderr: "" };
  private dec = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  constructor(path: string) {
    this.fd = openSync(path, "a", 0o640);
  }

  write(stream: "stdout" | "stderr", chunk: Uint8Array): void {
    let text = this.partial[stream] + this.dec[stream].decode(chunk, { stream: true });
    let out = "";
    let nl: number;
    while ((nl = text.indexOf("\n")) >= 0) {
      out += this.record(stream, text.slice(0, nl + 1));
      text = text.slice(nl + 1);
    }
    if (text.length >= maxPartial) {
      out += this.record(stream, text);
      text = "";
    }
    this.partial[stream] = text;
    if (out) writeSync(this.fd, out);
  }

  private record(stream: string, log: string): string {
    return JSON.stringify({ log, stream, time: nowRfc3339() }) + "\n";
  }

  flush(): void {
    let out = "";
    for (const s of ["stdout", "stderr"] as const) {
      if (this.partial[s]) out += this.record(s, this.partial[s]);
      this.partial[s] = "";
    }
    if (out) writeSync(this.fd, out);
    closeSync(this.fd);
  }
}
