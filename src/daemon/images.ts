// The image engine: LocalImageService implements the ImageService contract on
// the local store (src/store) with the image model and archives (src/image).
// Archives (load, save) are loaded at their first use: an idle daemon holds
// none of their code.
import { InvalidParameterError } from "../errors.ts";
import type { Store } from "../store/index.ts";
import type { Digest } from "../store/digest.ts";
import type { SaveItem } from "../image/archive/save.ts";
import { importRootfs } from "../image/import.ts";
import { familiarize, formatReference, parseReference, repositoryName, withDefaultTag } from "../image/reference.ts";
import type {
  HistoryItem,
  ImageDeleteItem,
  ImageInspect,
  ImageListOptions,
  ImageService,
  ImageSummary,
} from "./image-service.ts";
import type { ProgressSink } from "../shared/json-message.ts";
import { resolveImage } from "./images/resolve.ts";
import { historyOf, inspectOf, summaryOf, tagsOf, unixSeconds } from "./images/views.ts";
import { removeImage, type ImageInUse } from "./images/remove.ts";
import { pruneImages } from "./images/prune.ts";

export interface ImageServiceOptions {
  /** IDs of containers using an image; the container engine provides it (default: none). */
  isImageInUse?: ImageInUse;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
}

export class LocalImageService implements ImageService {
  isImageInUse: ImageInUse;

  constructor(readonly store: Store, opts: ImageServiceOptions = {}) {
    this.isImageInUse = opts.isImageInUse ?? (() => []);
  }

  /** Resolves a name (ID, short ID, name[:tag], name@digest) to an image ID. */
  resolve(name: string): Digest {
    return resolveImage(this.store, name).id;
  }

  async list(opts: ImageListOptions = {}): Promise<ImageSummary[]> {
    const f = opts.filters ?? {};
    for (const k of Object.keys(f)) {
      if (!["dangling", "label", "reference", "before", "since", "until"].includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
    }
    const before = f.before?.map((n) => this.store.images.get(this.resolve(n))!.created);
    const since = f.since?.map((n) => this.store.images.get(this.resolve(n))!.created);
    const out: ImageSummary[] = [];
    for (const row of this.store.images.list()) {
      const tags = tagsOf(this.store, row.id);
      const dangling = tags.repoTags.length === 0 && tags.repoDigests.length === 0;
      if (!opts.all && dangling && this.store.images.children(row.id).length > 0) continue;
      if (f.dangling?.length) {
        const want = f.dangling.includes("true") || f.dangling.includes("1");
        if (want !== dangling) continue;
      }
      if (f.reference?.length) {
        const names = tags.repoTags.flatMap((t) => [t, t.replace(/:[^:/]*$/, "")]);
        if (!f.reference.some((p) => names.some((n) => globToRegExp(p).test(n)))) continue;
      }
      const created = unixSeconds(row.created);
      if (before?.some((b) => created >= unixSeconds(b))) continue;
      if (since?.some((s) => created <= unixSeconds(s))) continue;
      const summary = await summaryOf(this.store, row, (await this.isImageInUse(row.id)).length);
      if (f.label?.length) {
        const ok = f.label.every((l) => {
          const i = l.indexOf("=");
          return i < 0 ? l in summary.Labels : summary.Labels[l.slice(0, i)] === l.slice(i + 1);
        });
        if (!ok) continue;
      }
      out.push(summary);
    }
    return out;
  }

  async inspect(name: string): Promise<ImageInspect> {
    return inspectOf(this.store, this.store.images.get(this.resolve(name))!);
  }

  async history(name: string): Promise<HistoryItem[]> {
    return historyOf(this.store, this.store.images.get(this.resolve(name))!);
  }

  async tag(source: string, repo: string, tag: string): Promise<void> {
    const id = this.resolve(source);
    const ref = parseReference(repo);
    if (ref.digest) throw new InvalidParameterError("refusing to create a tag with a digest reference");
    if (tag) ref.tag = parseReference(`x:${tag}`).tag;
    this.store.images.setRef(formatReference(withDefaultTag(ref)), "tag", id);
  }

  async remove(name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return removeImage(this.store, name, opts, this.isImageInUse);
  }

  /** `POST /images/prune`: dangling images, or every unused one with dangling=false. */
  async prune(filters: Record<string, string[]> = {}): Promise<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }> {
    return pruneImages(this.store, filters, this.isImageInUse);
  }

  async load(archive: ReadableStream<Uint8Array>, progress?: ProgressSink): Promise<string[]> {
    const { loadArchive } = await import("../image/archive/load.ts");
    return (await loadArchive(this.store, archive, { progress })).lines;
  }

  /** Items to save for the names: a repository name alone means all its tags, like docker save. */
  saveItems(names: string[]): SaveItem[] {
    const byId = new Map<Digest, Set<string>>();
    const add = (id: Digest, tag?: string) => {
      const s = byId.get(id) ?? new Set<string>();
      if (tag) s.add(tag);
      byId.set(id, s);
    };
    for (const name of names) {
      let ref;
      try {
        ref = parseReference(name);
      } catch {
        ref = undefined;
      }
      if (ref && ref.tag === undefined && ref.digest === undefined) {
        const repo = repositoryName(ref);
        const tagged = this.store.images.allRefs().filter((r) => r.kind === "tag" && r.name.startsWith(`${repo}:`));
        if (tagged.length > 0) {
          for (const r of tagged) add(r.image_id, r.name);
          continue;
        }
      }
      const r = resolveImage(this.store, name);
      add(r.id, r.ref && parseReference(r.ref).tag !== undefined ? r.ref : undefined);
    }
    return [...byId].map(([id, tags]) => ({ id, tags: [...tags] }));
  }

  async save(names: string[]): Promise<ReadableStream<Uint8Array>> {
    const items = this.saveItems(names); // an unknown name fails before the archive code loads
    const { saveImages } = await import("../image/archive/save.ts");
    return saveImages(this.store, items);
  }

  async importRootfs(
    rootfs: ReadableStream<Uint8Array>,
    opts: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string },
  ): Promise<string> {
    return importRootfs(this.store, rootfs, opts);
  }

  /** How many images there are, intermediate ones too, as dockerd counts them (`info`). */
  count(): number {
    return this.store.images.list().length;
  }

  /**
   * `system df`'s images, as dockerd gives them: the list without intermediate images, each with
   * its SharedSize (its layers that another listed image also has), and every layer once in
   * layersSize, however many images share it.
   */
  async diskUsage(): Promise<{ layersSize: number; images: (ImageSummary & { SharedSize: number })[] }> {
    const images = await this.list();
    const layers = new Map(images.map((i) => [i.Id, this.store.images.layersOf(i.Id)]));
    const refs = new Map<string, number>();
    for (const ls of layers.values()) for (const id of new Set(ls.map((l) => l.chain_id))) refs.set(id, (refs.get(id) ?? 0) + 1);
    const shared = (id: string) => layers.get(id)!.filter((l) => refs.get(l.chain_id)! > 1).reduce((n, l) => n + l.size, 0);
    return { layersSize: this.store.images.layersSize(), images: images.map((i) => ({ ...i, SharedSize: shared(i.Id) })) };
  }

  /** Familiar names of an image's tags (for CLI output). */
  tagsOf(id: string): string[] {
    return this.store.images.refsOf(id).filter((r) => r.kind === "tag").map((r) => familiarize(r.name));
  }
}

export function createImageService(store: Store, opts?: ImageServiceOptions): LocalImageService {
  return new LocalImageService(store, opts);
}
