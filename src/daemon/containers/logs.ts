// Reading a container's json-file log (one `{"log","stream","time"}` object per
// line, as Docker's json-file driver writes) for `GET /containers/{id}/logs`.
import { openSync, readSync, readFileSync, closeSync, fstatSync, statSync, existsSync, watch } from "node:fs";

export interface LogOptions {
  stdout: boolean;
  stderr: boolean;
  /** Seconds since the epoch (fractions allowed); 0 = no bound. */
  since: number;
  until: number;
  /** Number of lines from the end, or "all" (-1). */
  tail: number;
  timestamps: boolean;
  /** Prefix lines with the log attributes (labels/env the log opts name). */
  details: boolean;
  follow: boolean;
}

export interface LogRecord {
  stream: "stdout" | "stderr";
  /** The raw text of the record, newline included. */
  log: string;
  time: string;
}

/** Parses the query string of the logs endpoint with Docker's rules. */
export function parseLogQuery(q: (name: string) => string | undefined): LogOptions {
  const bool = (v: string | undefined) => v === "1" || v === "true" || v === "True";
  const time = (v: string | undefined) => (v ? (/^\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v) / 1000) : 0);
  const tailRaw = q("tail");
  const tail = !tailRaw || tailRaw === "all" ? -1 : Math.max(0, parseInt(tailRaw, 10) || 0);
  return {
    stdout: bool(q("stdout")),
    stderr: bool(q("stderr")),
    since: time(q("since")),
    until: time(q("until")),
    tail,
    timestamps: bool(q("timestamps")),
    details: bool(q("details")),
    follow: bool(q("follow")),
  };
}

function* parseLines(text: string): Generator<LogRecord> {
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const r = JSON.parse(line);
      if (typeof r.log === "string" && (r.stream === "stdout" || r.stream === "stderr")) yield r;
    } catch {
      // A line cut by a crash mid-write: skip it rather than fail the whole read.
    }
  }
}

function keep(r: LogRecord, o: LogOptions): boolean {
  if (r.stream === "stdout" ? !o.stdout : !o.stderr) return false;
  if (o.since || o.until) {
    const t = Date.parse(r.time) / 1000;
    if (o.since && t < o.since) return false;
    if (o.until && t > o.until) return false;
  }
  return true;
}

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

/**
 * The live log file, followed by descriptor: when the shim rotates it (a
 * rename, see runtime/shim/log.ts), the old file is read to its end before
 * the reader moves on to the new one at the same path.
 */
class LiveLog {
  private fd: number | undefined;
  private offset = 0;

  constructor(private path: string) {
    this.fd = openIfExists(path);
  }

  /** The inode being read, to leave it out of the rotated files. */
  get inode(): number | undefined {
    return this.fd === undefined ? undefined : fstatSync(this.fd).ino;
  }

  /** The complete lines written since the last call, across rotations. */
  read(): string {
    let text = "";
    for (;;) {
      if (this.fd === undefined) {
        this.fd = openIfExists(this.path);
        this.offset = 0;
        if (this.fd === undefined) return text;
      }
      const next = readFrom(this.fd, this.offset);
      text += next.text;
      this.offset = next.offset;
      const now = statSync(this.path, { throwIfNoEntry: false });
      if (now && now.ino === fstatSync(this.fd).ino) return text;
      // Rotated away (and read to its end): go on with the file now at the path.
      closeSync(this.fd);
      this.fd = undefined;
      if (!now) return text;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The rotated files' text, oldest first (PATH.N … PATH.1, or PATH.N.gz …), leaving out the live file's inode. */
function rotatedText(path: string, liveInode: number | undefined): string {
  const names: string[] = [];
  for (let i = 1; ; i++) {
    const name = [`${path}.${i}`, `${path}.${i}.gz`].find((n) => existsSync(n));
    if (!name) break;
    names.unshift(name);
  }
  let text = "";
  for (const name of names) {
    const fd = openIfExists(name);
    if (fd === undefined) continue;
    try {
      if (name.endsWith(".gz")) text += Buffer.from(Bun.gunzipSync(readFileSync(fd))).toString("utf8");
      else if (fstatSync(fd).ino !== liveInode) text += readFrom(fd, 0).text;
    } catch {
      // A file cut short by a crash mid-rotation: the others still read.
    } finally {
      closeSync(fd);
    }
  }
  return text;
}

/**
 * Yields the log records the options select, the rotated files first; with
 * `follow`, keeps yielding new ones until `stillRunning()` turns false and the
 * file has been drained.
 */
export async function* readLogs(
  path: string,
  o: LogOptions,
  stillRunning: () => boolean,
  signal?: AbortSignal,
): AsyncGenerator<LogRecord> {
  // The live file is opened first, so a rotation meanwhile neither loses nor repeats lines.
  const live = new LiveLog(path);
  try {
    const text = rotatedText(path, live.inode) + live.read();
    let records = [...parseLines(text)].filter((r) => keep(r, o));
    if (o.tail >= 0) records = records.slice(Math.max(0, records.length - o.tail));
    yield* records;
    if (!o.follow) return;

    while (!signal?.aborted) {
      const running = stillRunning();
      for (const r of parseLines(live.read())) if (keep(r, o)) yield r;
      if (!running) return;
      await waitForChange(path, 250, signal);
    }
  } finally {
    live.close();
  }
}

/** Resolves when the file changes or after `ms`, whichever comes first. */
function waitForChange(path: string, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let watcher: ReturnType<typeof watch> | undefined;
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
    try {
      watcher = watch(path, done);
    } catch {
      // The file may not exist yet; the timer covers it.
    }
  });
}

/** Docker's multiplexed stream frame: [stream, 0, 0, 0, size32be] + payload. */
export function frame(stream: 0 | 1 | 2, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, payload.length);
  out.set(payload, 8);
  return out;
}
