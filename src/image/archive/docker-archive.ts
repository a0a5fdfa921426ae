// Plans the images of a docker-archive (manifest.json as `docker save`
// writes it: legacy `<id>/layer.tar` layout or Docker 25+ `blobs/sha256/…`).
import { InvalidDataError } from "../../errors.ts";
import type { Store } from "../../store/index.ts";
import { formatReference, normalizeReference } from "../reference.ts";
import type { PlannedImage } from "./plan.ts";
import { archiveBlob, type ArchiveContents } from "./read-archive.ts";
import { planOciLayout } from "./oci-layout.ts";
import type { WriteSession } from "../session.ts";

interface ManifestEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

function parseManifestJson(bytes: Uint8Array): ManifestEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new InvalidDataError("invalid archive: manifest.json is not valid JSON");
  }
  if (!Array.isArray(doc)) throw new InvalidDataError("invalid archive: manifest.json must be a list");
  return doc.map((e, i) => {
    const o = e as Record<string, unknown>;
    if (typeof o !== "object" || o === null || typeof o.Config !== "string") throw new InvalidDataError(`invalid archive: manifest.json entry ${i} has no Config`);
    if (!Array.isArray(o.Layers) || o.Layers.some((l) => typeof l !== "string")) throw new InvalidDataError(`invalid archive: manifest.json entry ${i} has bad Layers`);
    const tags = o.RepoTags ?? [];
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string")) throw new InvalidDataError(`invalid archive: manifest.json entry ${i} has bad RepoTags`);
    return { Config: o.Config, Layers: o.Layers as string[], RepoTags: tags as string[] };
  });
}

export async function planDockerArchive(store: Store, session: WriteSession, c: ArchiveContents): Promise<PlannedImage[]> {
  const entries = parseManifestJson(c.files.get("manifest.json")!);
  if (entries.length === 0) throw new InvalidDataError("invalid archive: manifest.json lists no images");
  // Docker 25+ also writes an OCI index: use it to keep manifest digests and layer media types.
  let oci: PlannedImage[] = [];
  if (c.files.has("index.json")) oci = await planOciLayout(store, c).catch(() => []); // an index berth cannot read: manifest.json alone loads the images
  const plans: PlannedImage[] = [];
  for (const [i, e] of entries.entries()) {
    let config = archiveBlob(c, e.Config);
    if (!config) {
      const bytes = c.files.get(e.Config.replace(/^\.?\//, ""));
      if (!bytes) throw new InvalidDataError(`invalid archive: missing config file ${JSON.stringify(e.Config)} (manifest.json entry ${i})`);
      const r = await session.ingest(bytes);
      config = { digest: r.digest, size: r.size };
    }
    const tags = e.RepoTags.map((t) => {
      const ref = normalizeReference(t);
      if (ref.digest) throw new InvalidDataError(`invalid archive: RepoTags entry ${JSON.stringify(t)} has a digest`);
      return formatReference(ref);
    });
    const fromOci = oci.find((p) => p.config.digest === config!.digest && p.layers.length === e.Layers.length);
    if (fromOci) {
      plans.push({ ...fromOci, tags });
      continue;
    }
    const layers = [];
    for (const l of e.Layers) {
      const b = archiveBlob(c, l);
      if (!b) throw new InvalidDataError(`invalid archive: missing layer file ${JSON.stringify(l)} (manifest.json entry ${i})`);
      layers.push(b);
    }
    plans.push({ config, layers, tags });
  }
  return plans;
}

