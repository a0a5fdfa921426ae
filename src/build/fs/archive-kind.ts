// Whether a file is a tar archive ADD extracts (and a context upload is a tar
// rather than a lone Dockerfile): gzip or zstd by their magic (the layer
// code's sniff), a plain tar by its ustar header.
import { closeSync, openSync, readSync } from "node:fs";
import { detectCompression } from "../../layer/compression.ts";

export function archiveKind(path: string): "tar" | "gzip" | "zstd" | undefined {
  const head = new Uint8Array(512);
  const fd = openSync(path, "r");
  let n: number;
  try {
    n = readSync(fd, head, 0, 512, 0);
  } finally {
    closeSync(fd);
  }
  const compression = detectCompression(head.subarray(0, n));
  if (compression !== "none") return compression;
  return n >= 262 && new TextDecoder().decode(head.subarray(257, 262)) === "ustar" ? "tar" : undefined;
}
