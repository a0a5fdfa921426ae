// The uploaded context written to a file as it arrives while its bytes are
// handed on (to the indexer) at the same time: the upload is read once, and
// the index is ready when the last byte is. The file is what a step that
// copies from the context unpacks later.
import { InvalidParameterError } from "../../errors.ts";

const FLUSH_EVERY = 8 << 20;

export class Spool {
  private sink: ReturnType<ReturnType<typeof Bun.file>["writer"]>;
  private body: AsyncIterator<Uint8Array> | undefined;
  private held: Uint8Array[] = [];
  private closed = false;
  /** Bytes received so far. */
  size = 0;

  constructor(readonly path: string, body: ReadableStream<Uint8Array> | null) {
    this.sink = Bun.file(path).writer();
    this.body = body ? (body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]() : undefined;
  }

  /** The upload's first `n` bytes (fewer if it is shorter); chunks() still yields them. */
  async head(n: number): Promise<Uint8Array> {
    while (this.size < n) {
      const c = await this.next();
      if (!c) break;
      this.held.push(c);
    }
    return Buffer.concat(this.held).subarray(0, n);
  }

  /** The upload from its start: what head() read, then the rest as it arrives (each chunk spooled first). */
  async *chunks(): AsyncGenerator<Uint8Array> {
    yield* this.held.splice(0);
    for (let c = await this.next(); c; c = await this.next()) yield c;
  }

  /** Spools what is left of the upload and closes the file. */
  async finish(): Promise<void> {
    this.held = [];
    while (await this.next());
    await this.close();
  }

  /** After a failure: the rest of the upload is read and dropped (so the client hears the error), the file closed. */
  async abandon(): Promise<void> {
    const body = this.body;
    this.body = undefined;
    try {
      if (body) for (let r = await body.next(); !r.done; r = await body.next());
    } finally {
      await this.close();
    }
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sink.end();
  }

  private async next(): Promise<Uint8Array | undefined> {
    if (!this.body) return undefined;
    if (this.closed) throw new InvalidParameterError("internal error: the context spool is closed");
    const r = await this.body.next();
    if (r.done) {
      this.body = undefined;
      return undefined;
    }
    const before = this.size;
    this.sink.write(r.value);
    this.size += r.value.length;
    if (Math.floor(before / FLUSH_EVERY) !== Math.floor(this.size / FLUSH_EVERY)) await this.sink.flush();
    return r.value;
  }
}
