// Content-addressed, verified blob store: <root>/blobs/sha256/<hex>.
// Ingests stream into <root>/tmp, are hashed while written, verified, fsynced
// and renamed into place, so a blob path only ever holds complete, correct bytes.
import { mkdirSync, readdirSync, rmSync, existsSync, statSync, openSync, fsyncSync, closeSync } from "node:fs";
import { open, rename, unlink, stat as fsStat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { randomHex } from "../builtins.ts";
import { InvalidDataError, NotFoundError } from "../errors.ts";
import { checkDigest, digestHex, type Digest } from "./digest.ts";

export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | Uint8Array;

export interface IngestOptions {
  expected?: string;
  size?: number;
  /** Refuse more than this many bytes (a guard for small JSON blobs). */
  maxSize?: number;
  /**
   * The caller checks the bytes against `expected` before it commits (the registry
   * reader does, as they arrive): they are not hashed a second time here.
   */
  checkedByCaller?: boolean;
}

export interface IngestResult {
  digest: Digest;
  size: number;
  /** False when the blob was already present (the new bytes were dropped). */
  created: boolean;
}

export class BlobStore {
  readonly dir: string;
  readonly tmpDir: string;

  constructor(readonly root: string) {
    this.dir = join(root, "blobs", "sha256");
    this.tmpDir = join(root, "tmp");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  /** Removes leftovers of interrupted ingests; call only when no ingest runs. */
  cleanTmp(): void {
    for (const name of readdirSync(this.tmpDir)) rmSync(join(this.tmpDir, name), { recursive: true, force: true });
  }

  path(digest: string): string {
    return join(this.dir, digestHex(checkDigest(digest)));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  stat(digest: string): { size: number } | undefined {
    try {
      return { size: statSync(this.path(digest)).size };
    } catch {
      return undefined;
    }
  }

  /** Streams a blob's bytes. */
  open(digest: string): ReadableStream<Uint8Array> {
    const p = this.path(digest);
    if (!existsSync(p)) throw new NotFoundError(`blob not found: ${digest}`);
    return Bun.file(p).stream();
  }

  async readBytes(digest: string, maxSize = 16 << 20): Promise<Uint8Array> {
    const p = this.path(digest);
    const st = await fsStat(p).catch(() => undefined); // no file: the not-found error below
    if (!st) throw new NotFoundError(`blob not found: ${digest}`);
    if (st.size > maxSize) throw new InvalidDataError(`blob ${digest} is too large (${st.size} bytes, limit ${maxSize})`);
    const bytes = new Uint8Array(await Bun.file(p).arrayBuffer());
    const h = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    if (`sha256:${h}` !== digest) throw new InvalidDataError(`digest mismatch: expected ${digest}, got sha256:${h}`);
    return bytes;
  }

  /** Reads a small JSON blob, verifying its digest on the way. */
  async readJson<T = unknown>(digest: string, maxSize = 16 << 20): Promise<T> {
    const bytes = await this.readBytes(digest, maxSize);
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as T;
    } catch {
      throw new InvalidDataError(`blob ${digest} is not valid JSON`);
    }
  }

  async delete(digest: string): Promise<void> {
    await unlink(this.path(digest)).catch((e) => {
      if (e?.code !== "ENOENT") throw e;
    });
  }

  /** Starts a push-style ingest (for data that arrives in callbacks, e.g. a tar walk). */
  async writer(opts: IngestOptions = {}): Promise<BlobWriter> {
    const expected = opts.expected === undefined ? undefined : checkDigest(opts.expected);
    const tmp = join(this.tmpDir, `ingest-${randomHex(8)}`);
    const fh = await open(tmp, "wx", 0o600);
    return new BlobWriter(this, fh, tmp, { ...opts, expected });
  }

  /** Streams a source into the store; verifies `expected` and `size` when given. */
  async ingest(source: ByteSource, opts: IngestOptions = {}): Promise<IngestResult> {
    const w = await this.writer(opts);
    try {
      if (source instanceof Uint8Array) await w.write(source);
      else for await (const chunk of source as AsyncIterable<Uint8Array>) await w.write(chunk);
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w.commit();
  }
}

export class BlobWriter {
  private hasher?: Bun.CryptoHasher;
  private written = 0;
  private done = false;

  constructor(
    private store: BlobStore,
    private fh: FileHandle,
    private tmp: string,
    private opts: IngestOptions & { expected?: Digest },
  ) {
    if (!(opts.checkedByCaller && opts.expected)) this.hasher = new Bun.CryptoHasher("sha256");
  }

  get size(): number {
    return this.written;
  }

  /** Where the bytes are being written (readable while the writer is open; renamed on commit). */
  get tempPath(): string {
    return this.tmp;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new Error("blob writer already finished");
    this.written += chunk.byteLength;
    const limit = this.opts.maxSize ?? this.opts.size;
    if (limit !== undefined && this.written > limit) {
      await this.abort();
      throw new InvalidDataError(
        this.opts.size !== undefined
          ? `size mismatch for ${this.opts.expected ?? "blob"}: more than the expected ${this.opts.size} bytes`
          : `blob too large: more than ${limit} bytes`,
      );
    }
    this.hasher?.update(chunk);
    let off = 0;
    while (off < chunk.byteLength) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.byteLength - off);
      off += bytesWritten;
    }
  }

  /** Verifies, fsyncs and renames into place. On any mismatch nothing stays. */
  async commit(): Promise<IngestResult> {
    if (this.done) throw new Error("blob writer already finished");
    const digest = (this.hasher ? `sha256:${this.hasher.digest("hex")}` : this.opts.expected!) as Digest;
    try {
      if (this.opts.expected && digest !== this.opts.expected) {
        throw new InvalidDataError(`digest mismatch: expected ${this.opts.expected}, got ${digest}`);
      }
      if (this.opts.size !== undefined && this.written !== this.opts.size) {
        throw new InvalidDataError(
          `size mismatch for ${digest}: expected ${this.opts.size} bytes, got ${this.written}`,
        );
      }
      await this.fh.sync();
      await this.fh.close();
      this.done = true;
      const final = this.store.path(digest);
      if (existsSync(final)) {
        await unlink(this.tmp);
        return { digest, size: this.written, created: false };
      }
      await rename(this.tmp, final);
      syncDir(this.store.dir);
      return { digest, size: this.written, created: true };
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.fh.close().catch(() => {}); // an abandoned write: nothing of it is kept either way
    }
    await unlink(this.tmp).catch(() => {}); // gone already, or swept with tmp/ at the next open
  }
}

/** Makes a rename durable: fsync the directory that holds the new name. */
function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
