// `docker save`: one tar that is both an OCI image layout (oci-layout,
// index.json, blobs/sha256/…) and a docker-archive (manifest.json and
// repositories pointing into blobs/), like Docker 25+. Layers are written as
// the blobs they were stored as, so digests survive a save → load round trip.
import { SystemError } from "../../errors.ts";
import type { Store } from "../../store/index.ts";
import type { Digest } from "../../store/digest.ts";
import type { TarEntry } from "../../layer/tar/types.ts";
import { MediaType } from "../media-types.ts";
import { familiarRepository, familiarize, parseReference } from "../reference.ts";
import { manifestFor, type StoredManifest } from "../stored.ts";
import { ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME } from "./oci-layout.ts";
import { newTarHeaderEncoder } from "./tar-out.ts";

export interface SaveItem {
  id: Digest;
  /** Full normalised tag names to record (may be empty). */
  tags: string[];
}

interface SavedImage {
  item: SaveItem;
  manifest: StoredManifest;
  layers: Digest[];
}

const enc = new TextEncoder();
const blobPath = (d: Digest) => `blobs/sha256/${d.slice(7)}`;

function fileEntry(path: string, size: number): TarEntry {
  return { path, type: "file", mode: 0o644, uid: 0, gid: 0, size, mtime: 0 };
}

function dirEntry(path: string): TarEntry {
  return { path, type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 };
}

export async function saveImages(store: Store, items: SaveItem[]): Promise<ReadableStream<Uint8Array>> {
  const images: SavedImage[] = [];
  for (const item of items) {
    const m = await manifestFor(store, item.id, "save");
    images.push({ item, manifest: m, layers: m.layers.map((l) => l.digest) });
  }
  // Hold every blob until the stream is done, so a concurrent rmi cannot pull it away.
  const releases: (() => void)[] = [];
  const blobs: Digest[] = [];
  const seen = new Set<string>();
  const extra = new Map<Digest, Uint8Array>();
  for (const img of images) {
    for (const d of [img.item.id, ...img.layers]) {
      if (!seen.has(d)) {
        seen.add(d);
        blobs.push(d);
        releases.push(store.leaseBlob(d));
      }
    }
    if (!seen.has(img.manifest.digest)) {
      seen.add(img.manifest.digest);
      extra.set(img.manifest.digest, img.manifest.bytes);
    }
  }

  const index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: images.flatMap((img) => {
      const base = { mediaType: img.manifest.mediaType, digest: img.manifest.digest, size: img.manifest.size };
      if (img.item.tags.length === 0) return [base];
      return img.item.tags.map((t) => ({
        ...base,
        annotations: { [ANNOTATION_IMAGE_NAME]: t, [ANNOTATION_REF_NAME]: parseReference(t).tag ?? "latest" },
      }));
    }),
  };
  const manifestJson = images.map((img) => ({
    Config: blobPath(img.item.id),
    RepoTags: img.item.tags.map(familiarize),
    Layers: img.layers.map(blobPath),
  }));
  const repositories: Record<string, Record<string, string>> = {};
  for (const img of images) {
    const top = img.layers[img.layers.length - 1];
    if (!top) continue;
    for (const t of img.item.tags) {
      const ref = parseReference(t);
      (repositories[familiarRepository(ref)] ??= {})[ref.tag ?? "latest"] = top.slice(7);
    }
  }

  const tar = newTarHeaderEncoder();
  async function* generate(): AsyncGenerator<Uint8Array> {
    try {
      yield tar.header(dirEntry("blobs/"));
      yield tar.header(dirEntry("blobs/sha256/"));
      for (const d of blobs) {
        const size = store.blobs.stat(d)?.size;
        if (size === undefined) throw new SystemError(`blob ${d} disappeared during save`);
        yield tar.header(fileEntry(blobPath(d), size));
        let n = 0;
        for await (const chunk of store.blobs.open(d) as unknown as AsyncIterable<Uint8Array>) {
          n += chunk.byteLength;
          yield chunk;
        }
        if (n !== size) throw new SystemError(`blob ${d} changed size during save`);
        yield tar.padding(size);
      }
      for (const [d, bytes] of extra) {
        yield tar.header(fileEntry(blobPath(d), bytes.byteLength));
        yield bytes;
        yield tar.padding(bytes.byteLength);
      }
      for (const [name, doc] of [
        ["index.json", index],
        ["manifest.json", manifestJson],
        ["oci-layout", { imageLayoutVersion: "1.0.0" }],
        ["repositories", repositories],
      ] as const) {
        const bytes = enc.encode(JSON.stringify(doc));
        yield tar.header(fileEntry(name, bytes.byteLength));
        yield bytes;
        yield tar.padding(bytes.byteLength);
      }
      yield tar.end();
    } finally {
      for (const r of releases) r();
    }
  }
  const it = generate();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const { done, value } = await it.next();
          if (done) return controller.close();
          // Empty chunks (zero padding) are skipped: pull must enqueue something or close.
          if (value.byteLength > 0) return controller.enqueue(value);
        }
      } catch (e) {
        controller.error(e);
      }
    },
    async cancel() {
      await it.return(undefined);
    },
  });
}
