// Docker's JSON shapes for images (Engine API v1.44): ImageSummary,
// ImageInspect, HistoryResponseItem.
import type { Store } from "../../store/index.ts";
import type { Digest } from "../../store/digest.ts";
import type { ImageRow } from "../../store/image-records.ts";
import type { HistoryItem, ImageInspect, ImageSummary } from "../image-service.ts";
import type { ContainerConfig, HistoryEntry, ImageConfig } from "../../image/config.ts";
import { rfc3339Nano } from "../../image/config.ts";
import { familiarize } from "../../image/reference.ts";

const ZERO_TIME = "0001-01-01T00:00:00Z";

export function unixSeconds(created: string): number {
  const t = Date.parse(created);
  return Number.isFinite(t) ? Math.floor(t / 1000) : 0;
}

export function tagsOf(store: Store, id: string): { repoTags: string[]; repoDigests: string[]; lastTagTime: number } {
  const refs = store.images.refsOf(id);
  return {
    repoTags: refs.filter((r) => r.kind === "tag").map((r) => familiarize(r.name)),
    repoDigests: refs.filter((r) => r.kind === "digest").map((r) => familiarize(r.name)),
    lastTagTime: Math.max(0, ...refs.filter((r) => r.kind === "tag").map((r) => r.created_at)),
  };
}

/** Config texts read and verified already, by image ID: a digest, so they never change. */
const configTexts = new Map<string, string>();
const CONFIG_TEXTS_KEPT = 64;

/** An image's config, parsed afresh for each caller (who may change it); every container create reads one. */
export async function imageConfig(store: Store, id: Digest): Promise<ImageConfig> {
  const kept = configTexts.get(id);
  if (kept !== undefined) return JSON.parse(kept) as ImageConfig;
  const config = await store.blobs.readJson<ImageConfig>(id);
  if (configTexts.size >= CONFIG_TEXTS_KEPT) configTexts.delete(configTexts.keys().next().value!);
  configTexts.set(id, JSON.stringify(config));
  return config;
}

/** Docker fills absent container configs with this shape. */
function fullContainerConfig(c: ContainerConfig | undefined): Record<string, unknown> | null {
  if (!c) return null;
  return {
    Hostname: "",
    Domainname: "",
    User: "",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: "",
    Volumes: null,
    WorkingDir: "",
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
    ...c,
  };
}

export async function summaryOf(store: Store, row: ImageRow, containers: number): Promise<ImageSummary> {
  const config = await imageConfig(store, row.id).catch(() => undefined); // a config blob gone: the image still lists, without its fields
  const t = tagsOf(store, row.id);
  return {
    Id: row.id,
    ParentId: row.parent,
    RepoTags: t.repoTags,
    RepoDigests: t.repoDigests,
    Created: unixSeconds(row.created),
    Size: row.size,
    SharedSize: -1,
    Labels: config?.config?.Labels ?? {},
    Containers: containers,
  };
}

export async function inspectOf(store: Store, row: ImageRow): Promise<ImageInspect> {
  const config = await imageConfig(store, row.id);
  const t = tagsOf(store, row.id);
  const layers = store.images.layersOf(row.id);
  const dirs = layers.map((l) => store.snapshots.diffPath(l.chain_id)).reverse();
  const top = layers.length ? store.snapshots.path(layers[layers.length - 1]!.chain_id) : undefined;
  const graphData: Record<string, string> = {};
  if (top) {
    if (dirs.length > 1) graphData.LowerDir = dirs.slice(1).join(":");
    graphData.MergedDir = `${top}/merged`;
    graphData.UpperDir = dirs[0]!;
    graphData.WorkDir = `${top}/work`;
  }
  const inspect: ImageInspect = {
    Id: row.id,
    RepoTags: t.repoTags,
    RepoDigests: t.repoDigests,
    Parent: row.parent,
    Comment: config.comment ?? "",
    Created: config.created ? rfc3339Nano(new Date(config.created)) : "",
    Container: config.container ?? "",
    ContainerConfig: fullContainerConfig(config.container_config) ?? fullContainerConfig({})!,
    DockerVersion: config.docker_version ?? "",
    Author: config.author ?? "",
    Config: fullContainerConfig(config.config),
    Architecture: config.architecture,
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os,
    ...(config["os.version"] ? { OsVersion: config["os.version"] } : {}),
    Size: row.size,
    VirtualSize: row.size,
    GraphDriver: { Name: "overlay2", Data: graphData },
    RootFS: { Type: "layers", Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: t.lastTagTime ? rfc3339Nano(new Date(t.lastTagTime)) : ZERO_TIME },
  };
  return inspect;
}

export async function historyOf(store: Store, row: ImageRow): Promise<HistoryItem[]> {
  const config = await imageConfig(store, row.id);
  const layers = store.images.layersOf(row.id);
  const history: HistoryEntry[] = config.history?.length
    ? config.history
    : layers.map(() => ({ created: config.created, created_by: "", comment: "" }));
  let li = 0;
  const items: HistoryItem[] = history.map((h) => {
    const size = h.empty_layer ? 0 : (layers[li++]?.size ?? 0);
    return {
      Id: "<missing>",
      Created: unixSeconds(h.created ?? ""),
      CreatedBy: h.created_by ?? "",
      Tags: [],
      Size: size,
      Comment: h.comment ?? "",
    };
  });
  items.reverse();
  if (items[0]) {
    items[0].Id = row.id;
    items[0].Tags = tagsOf(store, row.id).repoTags;
  }
  return items;
}
