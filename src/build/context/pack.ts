// The context directory packed as the tar `berth build` sends. Built for the
// cached rebuild, where packing is most of the client's work: one synchronous
// walk with plain lstat, each file read straight into the 256 KiB chunk being
// filled (no buffer or generator per file; chunks this size fault in fewer
// fresh pages than 1 MiB ones), no xattrs (the build never reads them).
// Entries are in byte order with owners 0:0, as the docker CLI sends them.
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from "node:fs";
import { SystemError } from "../../errors.ts";
import { TarStreamEncoder } from "../../layer/tar/encoder.ts";
import type { TarEntry } from "../../layer/tar/types.ts";

const CHUNK = 1 << 18;

export interface PackExtra {
  /** A trailing "/" makes it a directory. */
  name: string;
  data: Uint8Array;
  mode?: number;
}

/** What is left out of the context: paths relative to it, "/"-separated, no trailing slash. */
export interface PackFilter {
  leftOut(path: string): boolean;
  /** Whether a directory left out may still hold something sent (a re-included path, the Dockerfile). */
  mustWalk(dir: string): boolean;
}

/** `dir` as tar chunks with `filter` applied, then the `extras` (secrets, a Dockerfile from stdin). */
export function* packContext(dir: string, filter: PackFilter, extras: PackExtra[] = []): Generator<Uint8Array> {
  const enc = new TarStreamEncoder();
  let chunk = new Uint8Array(CHUNK);
  let fill = 0;
  const full: Uint8Array[] = [];
  const take = () => {
    if (fill) full.push(chunk.subarray(0, fill));
    chunk = new Uint8Array(CHUNK);
    fill = 0;
  };
  const put = (b: Uint8Array) => {
    if (fill + b.length > CHUNK) take();
    if (b.length > CHUNK) full.push(b); // a header with a huge PAX record, a big extra
    else {
      chunk.set(b, fill);
      fill += b.length;
    }
  };
  const readInto = function* (path: string, size: number): Generator<Uint8Array> {
    const fd = openSync(path, "r");
    try {
      for (let left = size; left > 0; ) {
        if (fill === CHUNK) {
          take();
          yield* full.splice(0); // a big file goes out as it is read
        }
        const n = readSync(fd, chunk, fill, Math.min(left, CHUNK - fill), null);
        if (n === 0) throw new SystemError(`${path} shrank while the build context was being sent`);
        fill += n;
        left -= n;
      }
    } finally {
      closeSync(fd);
    }
    put(enc.padding(size));
  };
  const seen = new Map<string, string>(); // "dev:ino" → first path, for hardlinks
  const entryOf = (path: string, st: Stats): TarEntry => ({ path, type: "file", mode: st.mode & 0o7777, uid: 0, gid: 0, size: 0, mtime: Math.floor(st.mtimeMs / 1000) });

  const walk = function* (rel: string): Generator<Uint8Array> {
    for (const name of readdirSync(rel ? `${dir}/${rel}` : dir).sort(byBytes)) {
      const path = rel ? `${rel}/${name}` : name;
      const abs = `${dir}/${path}`;
      const st = lstatSync(abs);
      const out = filter.leftOut(path);
      if (st.isDirectory()) {
        if (!out) put(enc.header({ ...entryOf(path, st), type: "dir", path: `${path}/` }));
        if (!out || filter.mustWalk(path)) yield* walk(path);
        continue;
      }
      if (out) continue;
      const entry = entryOf(path, st);
      if (st.isSymbolicLink()) {
        put(enc.header({ ...entry, type: "symlink", linkname: readlinkSync(abs) }));
      } else if (st.isFile()) {
        const key = st.nlink > 1 ? inodeKey(abs) : undefined;
        const first = key && seen.get(key);
        if (first) put(enc.header({ ...entry, type: "hardlink", linkname: first }));
        else {
          if (key) seen.set(key, path);
          put(enc.header({ ...entry, size: st.size }));
          yield* readInto(abs, st.size);
        }
      } else if (st.isFIFO()) {
        put(enc.header({ ...entry, type: "fifo" }));
      } // sockets and device nodes are not sent: COPY has no use for them
      yield* full.splice(0);
    }
  };
  yield* walk("");
  const now = Math.floor(Date.now() / 1000);
  for (const extra of extras) {
    const isDir = extra.name.endsWith("/");
    const size = isDir ? 0 : extra.data.length;
    put(enc.header({ path: extra.name, type: isDir ? "dir" : "file", mode: extra.mode ?? (isDir ? 0o755 : 0o644), uid: 0, gid: 0, size, mtime: now }));
    if (size) {
      put(extra.data);
      put(enc.padding(size));
    }
  }
  put(enc.end());
  take();
  yield* full;
}

/** The exact (64-bit) device and inode, looked up only for files with several links. */
function inodeKey(path: string): string {
  const st = lstatSync(path, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The chunks as a web stream that packs on demand, one chunk per pull. */
export function packStream(chunks: Generator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull(c) {
      const r = chunks.next();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    cancel() {
      chunks.return(undefined);
    },
  }, { highWaterMark: 0 });
}
