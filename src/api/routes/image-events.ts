// Image events as dockerd logs them: Actor.ID is the image ID (the reference
// for pull), attributes are the image's labels plus `name`.
import type { Daemon } from "../../daemon/daemon.ts";
import { familiarize } from "../../image/reference.ts";

export async function imageLabels(d: Daemon, id: string): Promise<Record<string, string>> {
  try {
    const img = await d.images.inspect(id);
    return { ...(((img.Config as { Labels?: Record<string, string> } | undefined)?.Labels) ?? {}) };
  } catch {
    return {};
  }
}

export async function emitImageEvent(d: Daemon, action: string, id: string, name: string): Promise<void> {
  d.events.emit("image", action, id, { ...(await imageLabels(d, id)), name });
}

export function familiarName(ref: string): string {
  try {
    return familiarize(ref);
  } catch {
    return ref;
  }
}

/** Image IDs named by load's "Loaded image: x" / "Loaded image ID: sha256:…" lines, each once. */
export function loadedIds(d: Daemon, lines: string[]): string[] {
  const ids = new Set<string>();
  for (const line of lines) {
    const m = /^Loaded image(?: ID)?: (.+)$/.exec(line.trim());
    if (!m) continue;
    try {
      ids.add(d.images.resolve(m[1]!));
    } catch {
      // A name that was re-tagged meanwhile: nothing to report.
    }
  }
  return [...ids];
}
