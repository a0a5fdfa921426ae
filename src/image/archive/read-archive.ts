// Streams an image archive (docker-archive or OCI layout tar) once: blobs and
// layer files are spooled into the content store as they pass (verified
// against their names where the name is a digest), small metadata files are
// kept in memory. Nothing is buffered whole except those small files.
import { InvalidDataError } from "../../errors.ts";
import type { Digest } from "../../store/digest.ts";
import type { TarEvent } from "../../layer/tar/types.ts";
import { newTarWalker } from "./tar-walk.ts";
import type { WriteSession } from "../session.ts";

/** Metadata files kept in memory are at most this big. */
export const MAX_METADATA_FILE = 8 << 20;

export interface ArchiveContents {
  /** Small files (JSON documents, oci-layout) by normalised path. */
  files: Map<string, Uint8Array>;
  /** Spooled files by normalised path. */
  blobs: Map<string, { digest: Digest; size: number }>;
  /** Symlinks (docker save dedups layers with them), normalised path → normalised target. */
  links: Map<string, string>;
}

/** "./a//b/" → "a/b"; refuses absolute paths and "..". */
export function normalizeArchivePath(p: string): string {
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) throw new InvalidDataError(`invalid archive: path escapes the archive: ${JSON.stringify(p)}`);
      parts.pop();
    } else parts.push(part);
  }
  return parts.join("/");
}

function resolveLink(from: string, target: string): string {
  if (target.startsWith("/")) throw new InvalidDataError(`invalid archive: absolute symlink ${from} -> ${target}`);
  const dir = from.split("/").slice(0, -1).join("/");
  return normalizeArchivePath(dir ? `${dir}/${target}` : target);
}

const BLOB_PATH = /^blobs\/sha256\/([0-9a-f]{64})$/;

function isMetadataPath(path: string): boolean {
  return path.endsWith(".json") || path === "oci-layout" || path === "repositories" || path.endsWith("/json");
}

type Sink =
  | { kind: "memory"; path: string; chunks: Uint8Array[]; size: number }
  | { kind: "blob"; path: string; writer: Awaited<ReturnType<WriteSession["writer"]>> }
  | { kind: "skip" };

export async function readArchive(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  session: WriteSession,
  onProgress?: (bytes: number) => void,
): Promise<ArchiveContents> {
  const out: ArchiveContents = { files: new Map(), blobs: new Map(), links: new Map() };
  const walker = newTarWalker();
  let sink: Sink = { kind: "skip" };
  let total = 0;
  let entries = 0;

  const handle = async (ev: TarEvent): Promise<void> => {
    if (ev.kind === "entry") {
      entries++;
      const e = ev.entry;
      const path = normalizeArchivePath(e.path);
      if (e.type === "symlink" || e.type === "hardlink") {
        const target = e.type === "hardlink" ? normalizeArchivePath(e.linkname ?? "") : resolveLink(path, e.linkname ?? "");
        out.links.set(path, target);
        sink = { kind: "skip" };
      } else if (e.type !== "file") {
        sink = { kind: "skip" };
      } else {
        const m = BLOB_PATH.exec(path);
        if (m) {
          // The name is the digest: verified while spooling.
          sink = { kind: "blob", path, writer: await session.writer({ expected: `sha256:${m[1]}`, size: e.size }) };
        } else if (isMetadataPath(path) && e.size <= MAX_METADATA_FILE) {
          sink = { kind: "memory", path, chunks: [], size: 0 };
        } else {
          sink = { kind: "blob", path, writer: await session.writer({ size: e.size }) };
        }
      }
    } else if (ev.kind === "data") {
      if (sink.kind === "memory") {
        sink.chunks.push(ev.data.slice());
        sink.size += ev.data.byteLength;
      } else if (sink.kind === "blob") {
        await sink.writer.write(ev.data);
      }
    } else {
      const done = sink;
      sink = { kind: "skip" };
      if (done.kind === "memory") out.files.set(done.path, Buffer.concat(done.chunks));
      else if (done.kind === "blob") out.blobs.set(done.path, await done.writer.commit());
    }
  };

  try {
    const reader = source instanceof ReadableStream ? streamIter(source) : source;
    for await (const chunk of reader) {
      total += chunk.byteLength;
      for (const ev of walker.push(chunk)) await handle(ev);
      onProgress?.(total);
    }
    try {
      walker.finish();
    } catch (e) {
      throw new InvalidDataError(`invalid archive: unexpected end of file (truncated archive?): ${(e as Error).message}`);
    }
  } catch (e) {
    const open = sink as Sink;
    if (open.kind === "blob") await open.writer.abort();
    if (e instanceof InvalidDataError && !/archive|digest|size/.test(e.message)) {
      throw new InvalidDataError(`invalid archive: ${e.message}`);
    }
    throw e;
  }
  if (entries === 0) throw new InvalidDataError("invalid archive: empty or not a tar file");
  return out;
}

async function* streamIter(s: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const r = s.getReader();
  try {
    for (;;) {
      const { done, value } = await r.read();
      if (done) return;
      if (value) yield value;
    }
  } finally {
    r.releaseLock();
  }
}

/** Follows symlinks inside the archive to the spooled blob of `path`. */
export function archiveBlob(c: ArchiveContents, path: string): { digest: Digest; size: number } | undefined {
  let p = normalizeArchivePath(path);
  for (let i = 0; i < 16; i++) {
    const b = c.blobs.get(p);
    if (b) return b;
    const next = c.links.get(p);
    if (!next) break;
    p = next;
  }
  return undefined;
}
