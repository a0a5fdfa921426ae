// Progress events of pull and push, shaped like Docker's JSON message stream
// (structurally the same as ProgressMessage in src/daemon/image-service.ts).
export type LayerStatus =
  | "Pulling fs layer" | "Waiting" | "Downloading" | "Verifying Checksum" | "Download complete"
  | "Extracting" | "Pull complete" | "Already exists"
  | "Preparing" | "Pushing" | "Pushed" | "Layer already exists" | string;

export interface RegistryProgress {
  id?: string;
  status: LayerStatus;
  progressDetail?: { current?: number; total?: number };
  aux?: unknown;
}

export type RegistryProgressSink = (p: RegistryProgress) => void;

/** Docker's short layer ID: 12 hex digits of the blob digest. */
export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

/** Byte-progress reporter that speaks at most every `everyMs` (and always at the end). */
export function throttled(sink: RegistryProgressSink | undefined, id: string, status: string, everyMs = 100): (current: number, total: number) => void {
  let last = 0;
  return (current, total) => {
    const now = Date.now();
    if (!sink || (current < total && now - last < everyMs)) return;
    last = now;
    sink({ id, status, progressDetail: { current, total } });
  };
}
