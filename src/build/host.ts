// What the builder needs from the engine, which owns containers and images:
// the daemon implements it (src/daemon/build-host.ts), so the builder sits
// below the engine and never reaches into it.
import type { Digest } from "../store/digest.ts";
import type { Store } from "../store/index.ts";

export interface RunRequest {
  imageId: Digest;
  argv: string[];
  env: string[];
  user?: string;
  workdir?: string;
  /** The step's network mode: the build's (the default bridge, a user network, host) or "none" for RUN --network=none. */
  network: string;
  /** HostConfig.Mounts for RUN --mount (binds and tmpfs: their content stays out of the layer). */
  mounts: Record<string, unknown>[];
  /**
   * Mount targets whose placeholders stay out of the layer (secrets): the file the
   * runtime made to mount onto, and the directories made only to hold it.
   */
  stubs?: string[];
  /** SOURCE_DATE_EPOCH: mtimes in the layer are clamped to it. */
  clampMtime?: number;
}

export interface RunResult {
  exitCode: number;
  /** The container's changes as an OCI layer tar (commit's diff code). Only valid before remove(). */
  diff(): ReadableStream<Uint8Array>;
  remove(): Promise<void>;
}

export interface BuildHost {
  readonly store: Store;
  /** A local image by name or ID; undefined when there is none (the builder may then pull). */
  findImage(name: string): Digest | undefined;
  /** Pulls an image the builder needs (FROM, COPY --from); resolves with its ID. */
  pullImage(name: string, platform: string | undefined, progress: (line: string) => void, signal: AbortSignal): Promise<Digest>;
  /** The host dirs of an image's layers, topmost first (overlay lower dirs). */
  layerDirs(imageId: Digest): string[];
  /** Runs one RUN step's container; `started` gets the container ID once it runs, `output` its output. */
  run(r: RunRequest, started: (id: string) => void, output: (text: string) => void, signal: AbortSignal): Promise<RunResult>;
  /** Where the builder may keep files (contexts, workspaces): on the data root's filesystem. */
  tmpDir(): string;
  /** Where RUN --mount=type=cache directories live between builds. */
  cacheMountDir(): string;
}
