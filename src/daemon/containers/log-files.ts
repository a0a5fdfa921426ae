// The files of a container's json-file log as the shim leaves them (see
// runtime/shim/log.ts): the live PATH and the rotated PATH.1 … PATH.N, newest
// first, gzipped (PATH.1.gz …) when compress is on. Read in bounded chunks —
// forward for `logs`, backward from the end for `logs --tail` — and followed
// across rotations for `logs -f`. A log can be gigabytes; a read holds a few MiB.
import { openSync, readSync, closeSync, fstatSync, statSync, existsSync, readFileSync } from "node:fs";
import { nodeZlib } from "../../builtins.ts";

const CHUNK = 1 << 20;

/** Complete lines of `fd` from `offset`, at most about `CHUNK` bytes of them; and the offset after them. */
function readFrom(fd: number, offset: number): { text: string; offset: number } {
  const size = fstatSync(fd).size;
  if (size <= offset) return { text: "", offset };
  let want = Math.min(CHUNK, size - offset);
  for (;;) {
    const buf = Buffer.allocUnsafe(want);
    const chunk = buf.subarray(0, readSync(fd, buf, 0, want, offset));
    const lastNl = chunk.lastIndexOf(0x0a);
    if (lastNl >= 0) return { text: chunk.subarray(0, lastNl + 1).toString("utf8"), offset: offset + lastNl + 1 };
    // A line longer than the chunk (or the unfinished last one): read further, up to the end.
    if (offset + chunk.length >= size) return { text: "", offset };
    want = Math.min(want * 2, size - offset);
  }
}

/** Every complete line of `fd` from `offset` on, in chunks. */
function* chunksFrom(fd: number, offset = 0): Generator<string> {
  for (;;) {
    const next = readFrom(fd, offset);
    if (!next.text) return;
    offset = next.offset;
    yield next.text;
  }
}

/** The lines of `fd` before `end` (a line boundary), last first, each with its newline. */
function* linesBackward(fd: number, end: number): Generator<string> {
  let pos = end;
  // The start of a line whose rest was in the chunk read before (the one after it in the file).
  let carry: Buffer = Buffer.alloc(0);
  while (pos > 0) {
    const from = Math.max(0, pos - CHUNK);
    const buf = Buffer.allocUnsafe(pos - from);
    readSync(fd, buf, 0, buf.length, from);
    pos = from;
    const data = carry.length ? Buffer.concat([buf, carry]) : buf;
    let stop = data.length;
    // Each newline before the last byte ends the line before it; what precedes the first one carries over.
    for (let nl = stop >= 2 ? data.lastIndexOf(0x0a, stop - 2) : -1; nl >= 0; nl = stop >= 2 ? data.lastIndexOf(0x0a, stop - 2) : -1) {
      yield data.subarray(nl + 1, stop).toString("utf8");
      stop = nl + 1;
    }
    carry = Buffer.from(data.subarray(0, stop));
  }
  if (carry.length > 0) yield carry.toString("utf8");
}

/** The offset after the last newline of `fd` (0 when it has none). */
function lastLineEnd(fd: number): number {
  let pos = fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(pos, 1)));
  while (pos > 0) {
    const from = Math.max(0, pos - buf.length);
    const n = readSync(fd, buf, 0, pos - from, from);
    const nl = buf.subarray(0, n).lastIndexOf(0x0a);
    if (nl >= 0) return from + nl + 1;
    pos = from;
  }
  return 0;
}

function openIfExists(path: string): number | undefined {
  try {
    return openSync(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** The rotated files, oldest first. */
function rotatedNames(path: string): string[] {
  const names: string[] = [];
  for (let i = 1; ; i++) {
    const name = [`${path}.${i}`, `${path}.${i}.gz`].find((n) => existsSync(n));
    if (!name) return names;
    names.unshift(name);
  }
}

/** A rotated file's complete lines in chunks (none when it went meanwhile, or is cut short by a crash). */
function* rotatedChunks(name: string): Generator<string> {
  const fd = openIfExists(name);
  if (fd === undefined) return;
  try {
    if (name.endsWith(".gz")) {
      // At most max-size once inflated.
      let text: string;
      try {
        text = Buffer.from(Bun.gunzipSync(readFileSync(fd))).toString("utf8");
      } catch {
        return;
      }
      yield text.slice(0, text.lastIndexOf("\n") + 1);
    } else yield* chunksFrom(fd);
  } finally {
    closeSync(fd);
  }
}

/** A rotated file's lines, last first. */
function* rotatedLinesBackward(name: string): Generator<string> {
  if (name.endsWith(".gz")) {
    for (const text of rotatedChunks(name)) yield* text.split("\n").filter(Boolean).reverse();
    return;
  }
  const fd = openIfExists(name);
  if (fd === undefined) return;
  try {
    yield* linesBackward(fd, lastLineEnd(fd));
  } finally {
    closeSync(fd);
  }
}

const HEAD = 64 << 10;

/** A file's first line, which names it: every record carries its own timestamp. Gzip is inflated only as far as the head. */
function firstLine(name: string): string | undefined {
  const fd = openIfExists(name);
  if (fd === undefined) return undefined;
  try {
    const buf = Buffer.allocUnsafe(HEAD);
    let head = buf.subarray(0, readSync(fd, buf, 0, HEAD, 0));
    if (name.endsWith(".gz")) {
      const z = nodeZlib();
      head = z.gunzipSync(head, { finishFlush: z.constants.Z_SYNC_FLUSH });
    }
    const nl = head.indexOf(0x0a);
    return nl < 0 ? undefined : head.subarray(0, nl).toString("utf8");
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The rotated files older than the live one, oldest first: the file whose first line is `liveFirstLine` (rotated meanwhile) and those after it are left out. */
function olderRotated(path: string, liveFirstLine?: string): string[] {
  const names = rotatedNames(path);
  const live = liveFirstLine === undefined ? -1 : names.findIndex((n) => firstLine(n) === liveFirstLine);
  return live < 0 ? names : names.slice(0, live);
}

/**
 * The live file, followed by descriptor. When the shim rotates it (renames or
 * gzips it, and starts a new one), the old file is read to its end through the
 * descriptor; then the files rotated after it, in case the reader was slower
 * than more than one rotation; then the new live file.
 */
export class LiveLog {
  private fd: number | undefined;
  private offset = 0;
  /** The first line of the file being read, once it has one. */
  private first: string | undefined;

  constructor(private path: string) {
    this.fd = openIfExists(path);
    this.first = this.fd === undefined ? undefined : firstLine(path);
  }

  /** Everything logged so far, oldest first, in chunks of complete lines; the live file is then read to its end. */
  *all(): Generator<string> {
    for (const name of olderRotated(this.path, this.first)) yield* rotatedChunks(name);
    yield* this.read();
  }

  /**
   * The last lines logged, newest first, as far as the caller reads: the live
   * file from its end backward, then the rotated files. The live file counts as
   * read to its end afterwards (a follower goes on from there).
   */
  *backward(): Generator<string> {
    if (this.fd !== undefined) {
      // Up to the last newline: a line still being written is the follower's.
      this.offset = lastLineEnd(this.fd);
      yield* linesBackward(this.fd, this.offset);
    }
    for (const name of olderRotated(this.path, this.first).reverse()) yield* rotatedLinesBackward(name);
  }

  /** Skips what is logged so far: a follower with `--tail 0` starts at the end. */
  skipToEnd(): void {
    if (this.fd !== undefined) this.offset = lastLineEnd(this.fd);
  }

  /** The complete lines written since the last call, across rotations, in chunks. */
  *read(): Generator<string> {
    for (;;) {
      if (this.fd === undefined) {
        this.fd = openIfExists(this.path);
        this.offset = 0;
        this.first = undefined;
        if (this.fd === undefined) return;
      }
      for (;;) {
        const next = readFrom(this.fd, this.offset);
        if (!next.text) break;
        if (this.first === undefined && this.offset === 0) this.first = next.text.slice(0, next.text.indexOf("\n"));
        this.offset = next.offset;
        yield next.text;
      }
      const now = statSync(this.path, { throwIfNoEntry: false });
      if (now && now.ino === fstatSync(this.fd).ino) return;
      // Rotated away and read to its end: the files rotated after it, then the one at the path now.
      closeSync(this.fd);
      this.fd = undefined;
      yield* this.successors();
      if (!now) return;
    }
  }

  /** The rotated files newer than the one just finished (all of them if it is gone from the list). */
  private *successors(): Generator<string> {
    const names = rotatedNames(this.path);
    let mine = -1;
    if (this.first !== undefined) {
      for (let i = names.length - 1; i >= 0 && mine < 0; i--) if (firstLine(names[i]!) === this.first) mine = i;
    }
    for (const name of names.slice(mine + 1)) yield* rotatedChunks(name);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
