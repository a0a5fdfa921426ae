// A file read while it is being written: the layer applier follows a blob
// download through the file it lands in, so the download's slot is free as
// soon as its bytes are on disk, while the unpacking goes on at its own pace
// — without holding the rest of the layer in memory.
import { open, type FileHandle } from "node:fs/promises";
import { withFollowedFile } from "../../layer/source.ts";

const READ_SIZE = 1 << 20;

export class GrowingFile {
  private written = 0;
  private state: "open" | "done" | "failed" = "open";
  private error: unknown;
  private waiters: (() => void)[] = [];

  /** Opened before the first byte is written: the writer's commit renames the file, perhaps before the reader starts. */
  private handle: FileHandle | undefined;

  private constructor(private path: string) {}

  static async open(path: string): Promise<GrowingFile> {
    const f = new GrowingFile(path);
    f.handle = await open(path, "r");
    return f;
  }

  /** Closes the file if no reader took it (the unpacking failed before it began). */
  async dispose(): Promise<void> {
    const fh = this.handle;
    this.handle = undefined;
    await fh?.close().catch(() => {}); // never read, so nothing written through it is lost
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** `n` more bytes are in the file. */
  grew(n: number): void {
    this.written += n;
    this.wake();
  }

  /** The writer is done and the content verified: readers end at the last byte. */
  finish(): void {
    this.state = "done";
    this.wake();
  }

  /** The writer failed: readers fail with its error. */
  fail(e: unknown): void {
    if (this.state !== "open") return;
    this.state = "failed";
    this.error = e;
    this.wake();
  }

  /**
   * The bytes in order as they arrive (once: the reader takes the open file,
   * so a rename or unlink does not matter). An apply process may take the
   * file itself instead (src/layer/source.ts): then these chunks are not read.
   */
  read(): AsyncGenerator<Uint8Array> {
    const fh = this.handle;
    this.handle = undefined;
    if (!fh) return failing(new Error(`${this.path}: read twice, or after dispose`));
    return withFollowedFile(this.chunks(fh), { fd: fh.fd, lengths: () => this.lengths(), close: () => fh.close() });
  }

  private async *chunks(fh: FileHandle): AsyncGenerator<Uint8Array> {
    try {
      let offset = 0;
      for await (const written of this.lengths()) {
        while (offset < written) {
          if (this.state === "failed") throw this.error;
          const want = Math.min(READ_SIZE, written - offset);
          const buf = new Uint8Array(want);
          const { bytesRead } = await fh.read(buf, 0, want, offset);
          if (bytesRead === 0) throw new Error(`${this.path}: the file is shorter than what was written to it`);
          offset += bytesRead;
          yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
        }
      }
    } finally {
      await fh.close();
    }
  }

  /** How far the file is written, each time it grows; ends when the writer is done, throws when it failed. */
  private async *lengths(): AsyncGenerator<number> {
    let told = 0;
    for (;;) {
      if (this.state === "failed") throw this.error;
      if (told < this.written) {
        told = this.written;
        yield told;
        continue;
      }
      if (this.state === "done") return;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
}

/** A reader that fails once it is read: a second read() is refused where it is used, not where it is asked for. */
async function* failing(e: Error): AsyncGenerator<Uint8Array> {
  throw e;
}
