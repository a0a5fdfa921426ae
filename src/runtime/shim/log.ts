// Docker's json-file log: one {"log","stream","time"} object per line of output;
// a partial line is held until its newline (or 16 KiB, or the end). With a
// max-size the file rotates as dockerd's does: PATH becomes PATH.1, PATH.1
// becomes PATH.2, up to max-file files in all; with one file the old one goes.
// With compress the rotated files are PATH.1.gz, PATH.2.gz, ….
import { openSync, writeSync, closeSync, fstatSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { nowRfc3339 } from "./state.ts";

const maxPartial = 16 * 1024;

export interface LogRotation {
  maxSize?: number;
  /** Files kept, the live one included (default 1). */
  maxFiles?: number;
  /** Gzip the rotated files (needs maxFiles > 1). */
  compress?: boolean;
}

export class LogWriter {
  private fd: number;
  private size: number;
  /** Records not written yet (one write per chunk of output) and their size in bytes. */
  private pending = "";
  private pendingBytes = 0;
  private partial: Record<"stdout" | "stderr", string> = { stdout: "", stderr: "" };
  private dec = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  constructor(private path: string, private rotation: LogRotation = {}) {
    this.fd = openSync(path, "a", 0o640);
    this.size = fstatSync(this.fd).size;
  }

  write(stream: "stdout" | "stderr", chunk: Uint8Array): void {
    let text = this.partial[stream] + this.dec[stream].decode(chunk, { stream: true });
    let nl: number;
    while ((nl = text.indexOf("\n")) >= 0) {
      this.add(this.record(stream, text.slice(0, nl + 1)));
      text = text.slice(nl + 1);
    }
    if (text.length >= maxPartial) {
      this.add(this.record(stream, text));
      text = "";
    }
    this.partial[stream] = text;
    this.writePending();
  }

  /** Records are written in batches; with a max-size, a batch ends where the file must rotate. */
  private add(record: string): void {
    const bytes = Buffer.byteLength(record);
    const max = this.rotation.maxSize;
    const used = this.size + this.pendingBytes;
    // A record larger than the limit still goes whole into a fresh file.
    if (max !== undefined && used > 0 && used + bytes > max) {
      this.writePending();
      try {
        this.rotate();
      } catch {
        // Output keeps flowing into the current file rather than stopping the container's relay.
      }
    }
    this.pending += record;
    this.pendingBytes += bytes;
  }

  private writePending(): void {
    if (!this.pending) return;
    writeSync(this.fd, this.pending);
    this.size += this.pendingBytes;
    this.pending = "";
    this.pendingBytes = 0;
  }

  /**
   * Renames, never truncates: a `logs -f` reading the old file keeps its
   * descriptor and finishes it before it moves to the new one.
   */
  private rotate(): void {
    const keep = Math.max(1, this.rotation.maxFiles ?? 1);
    const ignoreMissing = (f: () => void) => {
      try {
        f();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    };
    const gz = this.rotation.compress && keep > 1 ? ".gz" : "";
    for (let i = keep - 1; i >= 2; i--) ignoreMissing(() => renameSync(`${this.path}.${i - 1}${gz}`, `${this.path}.${i}${gz}`));
    if (gz) {
      // Compressed here, at once (fast level): the relay pauses for it, once per max-size of output.
      const tmp = `${this.path}.1.gz.tmp`;
      try {
        writeFileSync(tmp, Bun.gzipSync(readFileSync(this.path), { level: 1 }));
        renameSync(tmp, `${this.path}.1.gz`);
      } catch (e) {
        ignoreMissing(() => unlinkSync(tmp));
        throw e;
      }
      unlinkSync(this.path);
    } else if (keep > 1) renameSync(this.path, `${this.path}.1`);
    else ignoreMissing(() => unlinkSync(this.path));
    const fd = openSync(this.path, "a", 0o640);
    closeSync(this.fd);
    this.fd = fd;
    this.size = 0;
  }

  private record(stream: string, log: string): string {
    return JSON.stringify({ log, stream, time: nowRfc3339() }) + "\n";
  }

  flush(): void {
    for (const s of ["stdout", "stderr"] as const) {
      if (this.partial[s]) this.add(this.record(s, this.partial[s]));
      this.partial[s] = "";
    }
    this.writePending();
    closeSync(this.fd);
  }
}
