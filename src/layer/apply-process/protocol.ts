// What the daemon and an `__apply` process (main.ts) say to each other. The
// process's stdin carries, for each layer:
//   S <json>\n           start: the target and the applier's options (ChildStart)
//   L <n>\n              a followed file is written up to n bytes
//   D <n>\n<n bytes>     the next bytes of a blob given through stdin
//   E\n                  the layer's source ended
// and its stdout one JSON line per layer (ChildReply). Between layers the
// process waits for the next S; at the end of stdin it exits.
import type { ApplyResult } from "../apply.ts";
import type { LayerEngine } from "../engine.ts";

/** The applier's options that are plain data. */
export interface ChildApplyOptions {
  resolvedTarget?: boolean;
  whiteoutMode?: "overlay" | "delete";
  devices?: "create" | "skip" | "refuse";
  chown?: boolean;
  zstdDecoder?: "native" | "zstd-codec";
  knownDigest?: string;
  engine?: LayerEngine;
  hashThread?: boolean;
  blobSize?: number;
}

export interface ChildStart {
  target: string;
  opts: ChildApplyOptions;
  /** A file another party is still writing, to open by this path (the daemon's /proc/PID/fd/N): L lines say how far it is written. Without it, D frames bring the blob. */
  file?: string;
}

export type ChildReply = { result: ApplyResult } | { error: { name: string; message: string } };

/** Reads lines and byte runs from one stream, in order. */
export class FrameReader {
  private buf: Uint8Array = new Uint8Array(0);
  private ended = false;
  private decoder = new TextDecoder();

  constructor(private reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> }) {}

  /** More bytes into the buffer; false at the end of the stream. */
  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.reader.read();
    if (r.done) {
      this.ended = true;
      return false;
    }
    if (r.value) this.buf = this.buf.length ? concat(this.buf, r.value) : r.value;
    return true;
  }

  /** The next line without its newline; undefined at the end of the stream (a partial last line is dropped). */
  async line(): Promise<string | undefined> {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl >= 0) {
        const line = this.decoder.decode(this.buf.subarray(0, nl));
        this.buf = this.buf.subarray(nl + 1);
        return line;
      }
      if (!(await this.fill())) return undefined;
    }
  }

  /** The next `n` bytes, in pieces as they come; fails if the stream ends first. */
  async *bytes(n: number): AsyncGenerator<Uint8Array> {
    while (n > 0) {
      if (!this.buf.length && !(await this.fill())) throw new Error("the stream ended inside a frame");
      const piece = this.buf.subarray(0, Math.min(n, this.buf.length));
      this.buf = this.buf.subarray(piece.length);
      n -= piece.length;
      yield piece;
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
