// Messages between the daemon's thread and a layer-apply worker.
import type { ApplyResult } from "../apply.ts";
import type { LayerEngine } from "../engine.ts";

/** The options that survive structured cloning (no factories). */
export interface WorkerApplyOptions {
  resolvedTarget?: boolean;
  whiteoutMode?: "overlay" | "delete";
  devices?: "create" | "skip" | "refuse";
  chown?: boolean;
  zstdDecoder?: "native" | "zstd-codec";
  knownDigest?: string;
  engine?: LayerEngine;
  hashThread?: boolean;
  blobSize?: number;
}

export type ToWorker =
  /** `fd`: the worker reads the source from this descriptor (a FollowedFile), as far as "grew" says; else chunks come. */
  | { kind: "start"; target: string; opts: WorkerApplyOptions; fd?: number }
  | { kind: "chunk"; data: Uint8Array }
  /** The file of a "start" with `fd` is written up to `to` bytes. */
  | { kind: "grew"; to: number }
  | { kind: "end" }
  /** The source failed: stop reading and fail. */
  | { kind: "abort"; message: string };

export type FromWorker =
  /** A chunk was taken. */
  | { kind: "ack" }
  | { kind: "done"; result: ApplyResult }
  | { kind: "error"; name: string; message: string };
