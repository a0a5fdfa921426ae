// `docker load`: a docker-archive or OCI layout tar → images in the store.
// The archive is streamed once (blobs spooled and verified as they pass),
// layers are applied to snapshots, then all metadata is committed in one
// transaction. On any error the store is left as it was.
import { InvalidDataError } from "../../errors.ts";
import type { ProgressSink } from "../../shared/json-message.ts";
import type { Store } from "../../store/index.ts";
import type { Digest } from "../../store/digest.ts";
import { familiarize } from "../reference.ts";
import { imageOfPlan, type PlannedImage } from "./plan.ts";
import { writeImage } from "../write/write-image.ts";
import type { Platform } from "../platform.ts";
import { withWriteSession } from "../session.ts";
import { readArchive } from "./read-archive.ts";
import { planDockerArchive } from "./docker-archive.ts";
import { planOciLayout } from "./oci-layout.ts";

export interface LoadedImage {
  id: Digest;
  /** Full normalised names. */
  tags: string[];
}

export interface LoadResult {
  images: LoadedImage[];
  /** "Loaded image: busybox:latest" / "Loaded image ID: sha256:…", as docker load prints. */
  lines: string[];
}

export async function loadArchive(
  store: Store,
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  opts: { progress?: ProgressSink; platform?: Platform } = {},
): Promise<LoadResult> {
  return withWriteSession(store, async (session) => {
    const contents = await readArchive(source, session);
    let plans: PlannedImage[];
    if (contents.files.has("manifest.json")) plans = await planDockerArchive(store, session, contents);
    else if (contents.files.has("index.json")) plans = await planOciLayout(store, contents, opts.platform);
    else throw new InvalidDataError("invalid archive: no manifest.json or index.json found (not a docker-archive or OCI layout)");

    const records = [];
    for (const plan of plans) {
      const n = plan.layers.length;
      records.push(
        await writeImage(session, await imageOfPlan(store, plan), {
          onLayer: (i, event, layer) =>
            (event === "applied" || event === "exists") && opts.progress?.({ status: "Loading layer", id: layer.digest!.slice(7, 19), progressDetail: { current: i + 1, total: n } }),
        }),
      );
    }
    const refs = plans.flatMap((p) => p.tags.map((name) => ({ name, kind: "tag" as const, imageId: p.config.digest })));
    session.commit(records, refs);

    const lines: string[] = [];
    for (const p of plans) {
      if (p.tags.length === 0) lines.push(`Loaded image ID: ${p.config.digest}`);
      for (const t of p.tags) lines.push(`Loaded image: ${familiarize(t)}`);
    }
    return { images: plans.map((p) => ({ id: p.config.digest, tags: p.tags })), lines };
  });
}
