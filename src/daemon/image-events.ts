// Image events as dockerd logs them: Actor.ID is the image ID (the reference
// for pull and push), attributes are the image's labels plus `name`. Raised by
// the engine, beside the image operations, as container events are.
import { familiarize } from "../image/reference.ts";
import type { EventSink } from "./containers/events.ts";
import type { ImageDeleteItem } from "./image-service.ts";
import type { LocalImageService } from "./images.ts";

/** A reference as docker prints it in events ("busybox:latest"); what does not parse, as given. */
export function familiarName(ref: string): string {
  try {
    return familiarize(ref);
  } catch {
    return ref;
  }
}

export class ImageEvents {
  constructor(private images: LocalImageService, private events: EventSink) {}

  /** The image's labels, or none for an image that is gone. */
  async labels(id: string): Promise<Record<string, string>> {
    try {
      const img = await this.images.inspect(id);
      return { ...(((img.Config as { Labels?: Record<string, string> } | undefined)?.Labels) ?? {}) };
    } catch {
      return {}; // removed meanwhile: an event without labels
    }
  }

  async emit(action: string, id: string, name = id): Promise<void> {
    this.events.emit("image", action, id, { ...(await this.labels(id)), name });
  }

  /** One "load" per image named by load's "Loaded image: x" / "Loaded image ID: sha256:…" lines. */
  async loaded(lines: string[]): Promise<void> {
    const ids = new Set<string>();
    for (const line of lines) {
      const m = /^Loaded image(?: ID)?: (.+)$/.exec(line.trim());
      if (!m) continue;
      try {
        ids.add(this.images.resolve(m[1]!));
      } catch {
        // A name that was re-tagged meanwhile: nothing to report.
      }
    }
    for (const id of ids) await this.emit("load", id);
  }

  /** What an rmi did: "untag" for the tag it took off (`id`, with the labels read before), "delete" per image gone. */
  removed(id: string | undefined, labels: Record<string, string>, items: ImageDeleteItem[]): void {
    for (const i of items) {
      if (i.Untagged && id) this.events.emit("image", "untag", id, { ...labels, name: id });
      if (i.Deleted) this.events.emit("image", "delete", i.Deleted, { ...(i.Deleted === id ? labels : {}), name: i.Deleted });
    }
  }

  pruned(reclaimed: number): void {
    this.events.emit("image", "prune", "", { reclaimed: String(reclaimed) });
  }
}
