// Reading a container's json-file log (one `{"log","stream","time"}` object per
// line, as Docker's json-file driver writes) for `GET /containers/{id}/logs`.
import { watch } from "node:fs";
import { dirname } from "node:path";
import { LiveLog } from "./log-files.ts";

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

/**
 * The log records the options select, the rotated files first, in batches
 * (one per chunk read: a reader of a big log writes once per batch, not once
 * per line); with `follow`, keeps yielding new ones until `stillRunning()`
 * turns false and the file has been drained.
 */
export async function* readLogBatches(
  path: string,
  o: LogOptions,
  stillRunning: () => boolean,
  signal?: AbortSignal,
): AsyncGenerator<LogRecord[]> {
  const kept = (text: string) => [...parseLines(text)].filter((r) => keep(r, o));
  // The live file is opened first, so a rotation meanwhile neither loses nor repeats lines.
  const live = new LiveLog(path);
  try {
    if (o.tail >= 0) {
      // From the end backward, as far as the last `tail` kept records: a long log is not read whole.
      const last: LogRecord[] = [];
      if (o.tail > 0) {
        for (const line of live.backward()) {
          last.push(...kept(line));
          if (last.length >= o.tail) break;
        }
      } else live.skipToEnd();
      if (last.length) yield last.reverse();
    } else {
      for (const text of live.all()) {
        const batch = kept(text);
        if (batch.length) yield batch;
      }
    }
    if (!o.follow) return;

    while (!signal?.aborted) {
      const running = stillRunning();
      for (const text of live.read()) {
        const batch = kept(text);
        if (batch.length) yield batch;
      }
      if (!running) return;
      await waitForChange(path, 250, signal);
    }
  } finally {
    live.close();
  }
}

/** readLogBatches, a record at a time. */
export async function* readLogs(path: string, o: LogOptions, stillRunning: () => boolean, signal?: AbortSignal): AsyncGenerator<LogRecord> {
  for await (const batch of readLogBatches(path, o, stillRunning, signal)) yield* batch;
}

/** Resolves when something in the log's directory changes (a write, a rotation) or after `ms`, whichever comes first. */
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
      // The directory, not the file: after a rotation the writes go to a new file at the path.
      watcher = watch(dirname(path), done);
    } catch {
      // The directory may be gone (the container removed); the timer covers it.
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
