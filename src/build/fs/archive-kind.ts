// Whether a file is a tar archive ADD extracts (and a context upload is a tar
// rather than a lone Dockerfile): gzip, zstd, xz or bzip2 by their magic (the
// first two the layer code's sniff), a plain tar by its ustar header; and the
// tar's bytes. Bun and node:zlib have no xz or bzip2 decoder, so those two go
// through the host's xz or bzip2 when it has them, and say so when it does not.
import { closeSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import { InvalidParameterError } from "../../errors.ts";
import { detectCompression } from "../../layer/compression.ts";
import type { ByteSource } from "../../layer/source.ts";

export type ArchiveKind = "tar" | "gzip" | "zstd" | "xz" | "bzip2";

export function archiveKind(path: string): ArchiveKind | undefined {
  const head = new Uint8Array(512);
  const fd = openSync(path, "r");
  let n: number;
  try {
    n = readSync(fd, head, 0, 512, 0);
  } finally {
    closeSync(fd);
  }
  return archiveKindOf(head.subarray(0, n));
}

/** The kind of archive whose first bytes (512 or all there are) are `head`. */
export function archiveKindOf(head: Uint8Array): ArchiveKind | undefined {
  const n = head.length;
  // Before the layer code's sniff, which refuses these two in a layer.
  if (n >= 6 && [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00].every((b, i) => head[i] === b)) return "xz";
  if (n >= 4 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68 && head[3]! >= 0x31 && head[3]! <= 0x39) return "bzip2";
  const compression = detectCompression(head);
  if (compression !== "none") return compression;
  return n >= 262 && new TextDecoder().decode(head.subarray(257, 262)) === "ustar" ? "tar" : undefined;
}

/** The archive's bytes for the layer applier, which itself undoes gzip and zstd; xz and bzip2 are undone here. */
export function archiveBytes(path: string, kind: ArchiveKind): ByteSource {
  if (kind !== "xz" && kind !== "bzip2") return Bun.file(path).stream();
  const tool = Bun.which(kind);
  if (!tool) throw new InvalidParameterError(`cannot extract ${basename(path)}: ${kind} archives need the ${kind} program on the daemon's host`);
  const p = Bun.spawn([tool, "-dc", path], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  return (async function* () {
    let whole = false;
    try {
      yield* p.stdout as unknown as AsyncIterable<Uint8Array>;
      whole = true;
    } finally {
      if (!whole) p.kill(); // the reader stopped early (a bad entry, a cancelled build)
    }
    const code = await p.exited;
    if (code !== 0) throw new InvalidParameterError(`cannot extract ${basename(path)}: ${(await new Response(p.stderr).text()).trim() || `${kind} exited with ${code}`}`);
  })();
}
