// Registry progress events → Docker's JSON messages. Per-layer statuses carry
// a progressDetail (empty for bare statuses) so the docker CLI keeps each
// layer on its own line; the `progress` text is what old clients print.
import type { RegistryProgress } from "../../registry/progress.ts";
import type { ProgressMessage } from "../../shared/json-message.ts";
import { progressBar } from "../../shared/progress-bar.ts";

export function jsonProgress(p: RegistryProgress): ProgressMessage {
  if (p.aux !== undefined) return { progressDetail: {}, aux: p.aux };
  if (!p.id) return { status: p.status };
  if (p.status.startsWith("Pulling from ")) return { status: p.status, id: p.id };
  const detail = p.progressDetail ?? {};
  const bar = progressBar(detail);
  return { status: p.status, progressDetail: detail, ...(bar ? { progress: bar } : {}), id: p.id };
}
