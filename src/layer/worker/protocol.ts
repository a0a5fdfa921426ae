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
}

export type ToWorker =
  | { kind: "start"; target: string; opts: WorkerApplyOptions }
  | { kind: "chunk"; data: Uint8Array }
  | { kind: "end" }
  /** The source failed: stop reading and fail. */
  | { kind: "abort"; message: string };

export type FromWorker =
  | { kind: "ack" }
  | { kind: "done"; result: ApplyResult }
  | { kind: "error"; name: string; message: string };
