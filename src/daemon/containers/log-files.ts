// The files of a container's json-file log as the shim leaves them (see
// runtime/shim/log.ts): the live PATH and the rotated PATH.1 … PATH.N, newest
// first, gzipped (PATH.1.gz …) when compress is on. Read whole for `logs`,
// and followed across rotations for `logs -f`.
import { openSync, readSync, closeSync, fstatSync, statSync, existsSync, readFileSync } from "node:fs";
import { nodeZlib } from "../../builtins.ts";

/** Complete lines of `fd` from `offset` on; returns them and the offset after the last newline. */
function readFrom(fd: number, offset: number): { text: string; offset: number } {
  const size = fstatSync(fd).size;
  if (size <= offset) return { text: "", offset };
  const buf = Buffer.allocUnsafe(size - offset);
  const n = readSync(fd, buf, 0, buf.length, offset);
  const chunk = buf.subarray(0, n);
  const lastNl = chunk.lastIndexOf(0x0a);
  if (lastNl < 0) return { text: "", offset };
  return { text: chunk.subarray(0, lastNl + 1).toString("utf8"), offset: offset + lastNl + 1 };
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

/** A rotated file's complete lines ("" when it went meanwhile, or was cut short by a crash). */
function wholeText(name: string): string {
  const fd = openIfExists(name);
  if (fd === undefined) return "";
  try {
    if (name.endsWith(".gz")) return Buffer.from(Bun.gunzipSync(readFileSync(fd))).toString("utf8");
    return readFrom(fd, 0).text;
  } catch {
    return "";
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

/** The rotated files' text, oldest first, leaving out the file whose first line is `live`'s (rotated meanwhile). */
export function rotatedText(path: string, liveFirstLine?: string): string {
  let text = "";
  for (const name of rotatedNames(path)) {
    if (liveFirstLine !== undefined && firstLine(name) === liveFirstLine) break;
    text += wholeText(name);
  }
  return text;
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

  /** The first line of the live file when the reader opened it, if any. */
  get firstLine(): string | undefined {
    return this.first;
  }

  /** The complete lines written since the last call, across rotations. */
  read(): string {
    let text = "";
    for (;;) {
      if (this.fd === undefined) {
        this.fd = openIfExists(this.path);
        this.offset = 0;
        this.first = undefined;
        if (this.fd === undefined) return text;
      }
      const next = readFrom(this.fd, this.offset);
      if (this.first === undefined && next.text) this.first = next.text.slice(0, next.text.indexOf("\n"));
      text += next.text;
      this.offset = next.offset;
      const now = statSync(this.path, { throwIfNoEntry: false });
      if (now && now.ino === fstatSync(this.fd).ino) return text;
      // Rotated away and read to its end: the files rotated after it, then the one at the path now.
      closeSync(this.fd);
      this.fd = undefined;
      text += this.successors();
      if (!now) return text;
    }
  }

  /** The rotated files newer than the one just finished (all of them if it is gone from the list). */
  private successors(): string {
    const names = rotatedNames(this.path);
    let mine = -1;
    if (this.first !== undefined) {
      for (let i = names.length - 1; i >= 0 && mine < 0; i--) if (firstLine(names[i]!) === this.first) mine = i;
    }
    return names.slice(mine + 1).map(wholeText).join("");
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
