// The diffID (SHA-256 of the uncompressed tar) of a stored layer blob, for
// blobs whose layer snapshot already exists: the blob must still be proven to
// hold that layer before it is recorded as its compressed form.
import { nodeStream, nodeZlib } from "../builtins.ts";
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";

export async function blobDiffId(store: Store, digest: Digest): Promise<Digest> {
  const head = await Bun.file(store.blobs.path(digest)).slice(0, 4).bytes();
  const raw = nodeStream().Readable.fromWeb(store.blobs.open(digest) as any);
  const plain =
    head[0] === 0x1f && head[1] === 0x8b
      ? raw.pipe(nodeZlib().createGunzip({ chunkSize: 1 << 20 }))
      : head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd
        ? raw.pipe(nodeZlib().createZstdDecompress())
        : raw;
  const h = new Bun.CryptoHasher("sha256");
  for await (const chunk of plain) h.update(chunk as Uint8Array);
  return `sha256:${h.digest("hex")}`;
}
