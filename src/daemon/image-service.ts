// The contract between the Engine API routes (src/api) and the image engine
// (src/daemon/images.ts). Shapes follow the Engine API v1.44 spec
// (ImageSummary, ImageInspect, HistoryResponseItem, ImageDeleteResponseItem).
// Methods throw BerthError subclasses (src/errors.ts) with Docker's wording,
// e.g. NotFoundError("No such image: busybox:latest").
import type { ProgressSink } from "../shared/json-message.ts";

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string>;
  Containers: number;
}

/** ImageInspect as in the spec; kept loose here, the implementation fills every field Docker does. */
export type ImageInspect = Record<string, unknown> & { Id: string; RepoTags: string[] };

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[];
  Size: number;
  Comment: string;
}

export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}


export interface ImageListOptions {
  all?: boolean;
  digests?: boolean;
  /** Engine API filters: dangling, label, reference, before, since. */
  filters?: Record<string, string[]>;
}

export interface ImageService {
  list(opts: ImageListOptions): Promise<ImageSummary[]>;
  inspect(name: string): Promise<ImageInspect>;
  history(name: string): Promise<HistoryItem[]>;
  /** `docker tag SOURCE REPO[:TAG]`: repo and tag already split by the caller. */
  tag(source: string, repo: string, tag: string): Promise<void>;
  /** Docker's refusals: in use by a container (409), several tags without force (409). */
  remove(name: string, opts: { force?: boolean; noprune?: boolean }): Promise<ImageDeleteItem[]>;
  /** docker-archive or OCI layout tar; returns the "Loaded image: x" / "Loaded image ID: sha256:…" lines. */
  load(archive: ReadableStream<Uint8Array>, progress?: ProgressSink): Promise<string[]>;
  /** Writes a tar of the named images (one file both docker-archive and OCI-layout readers accept). */
  save(names: string[]): Promise<ReadableStream<Uint8Array>>;
  /** A rootfs tar (plain or compressed) → a one-layer image; returns its ID. */
  importRootfs(
    rootfs: ReadableStream<Uint8Array>,
    opts: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string },
  ): Promise<string>;
}
