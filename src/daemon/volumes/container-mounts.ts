// What the volume service does for containers: resolves a create request's
// mounts (Docker's order: --volumes-from, then Binds, then Mounts, then
// Tmpfs, then the image's VOLUMEs as anonymous volumes), creates the volumes
// they name, turns them into the runtime's mount list at start, and removes
// a container's anonymous volumes with it when asked (`rm -v`, `--rm`).
import { existsSync, mkdirSync, opendirSync } from "node:fs";
import { posix } from "node:path";
import { InvalidParameterError, SystemError } from "../../errors.ts";
import { followContainerPath, isMountPoint, propagationProblem, receivesEvents, type BindMount } from "../../runtime/index.ts";
import { mountView, parseBind, parseMountSpec, parseTmpfs, parseVolumesFrom, type MountPoint } from "./mount-point.ts";
import { anonymousLabel } from "./names.ts";
import { optionMount, type OptionMount } from "./local-options.ts";
import { withoutSync } from "../../store/db.ts";
import type { VolumeService } from "./service.ts";
import { debugLog } from "../../shared/debug-log.ts";
import type { VolumeFilesystems } from "./filesystems.ts";

type Json = Record<string, any>;

/** Docker's default flags for a tmpfs mount; the request's own options come after and win. */
const tmpfsDefaults = ["nosuid", "nodev", "noexec"];

export class ContainerMounts {
  readonly hostMounts: VolumeFilesystems;

  constructor(readonly volumes: VolumeService) {
    this.hostMounts = volumes.filesystems;
  }

  /**
   * The mount points of a new container. Volumes it names are created here;
   * `created` lists them so a create that fails later can take them back.
   */
  resolve(hc: Json, imageVolumes: Json | null | undefined, containerId: (ref: string) => string): { mounts: MountPoint[]; created: string[] } {
    const byDest = new Map<string, MountPoint>();
    for (const spec of asList(hc.VolumesFrom)) {
      const { container, mode } = parseVolumesFrom(spec);
      for (const m of this.volumes.records.mountsOf(containerId(container))) {
        if (m.hidden) continue;
        byDest.set(m.Destination, { ...m, copyData: false, ...(mode ? { RW: !mode.split(",").includes("ro"), Mode: mode } : {}) });
      }
    }
    const explicit = new Set<string>();
    const add = (m: MountPoint) => {
      if (explicit.has(m.Destination)) throw new InvalidParameterError(`Duplicate mount point: ${m.Destination}`);
      explicit.add(m.Destination);
      byDest.set(m.Destination, m);
    };
    for (const raw of asList(hc.Binds)) add(parseBind(raw));
    for (const m of Array.isArray(hc.Mounts) ? hc.Mounts : []) add(parseMountSpec(m, existsSync));
    for (const [dest, opts] of Object.entries((hc.Tmpfs ?? {}) as Record<string, string>)) {
      const m = parseTmpfs(dest, opts);
      byDest.set(m.Destination, m);
    }
    for (const dest of Object.keys(imageVolumes ?? {})) {
      const d = posix.normalize(dest).replace(/(.)\/+$/, "$1");
      if (!d.startsWith("/") || byDest.has(d)) continue;
      byDest.set(d, { Type: "volume", Source: "", Destination: d, Driver: "local", Mode: "", RW: true, Propagation: "", copyData: true });
    }
    const created: string[] = [];
    try {
      for (const m of byDest.values()) {
        if (m.Type !== "volume" || m.Source) continue;
        const { volume, created: isNew } = this.volumes.create(
          { Name: m.Name, Driver: m.Driver, DriverOpts: m.volumeOptions ?? null, Labels: m.volumeLabels ?? null },
          !m.Name,
        );
        if (isNew) created.push(volume.name);
        m.Name = volume.name;
        m.Source = this.volumes.dataPath(volume.name);
        delete m.volumeOptions;
        delete m.volumeLabels;
      }
    } catch (e) {
      this.discard(created);
      throw e;
    }
    return { mounts: [...byDest.values()], created };
  }

  /** Stores the container's mount points (inside the transaction that inserts the container). */
  record(containerId: string, mounts: MountPoint[]): void {
    this.volumes.records.setMounts(containerId, mounts);
  }

  /** Takes back volumes a failed create made. */
  discard(names: string[]): void {
    for (const n of names) {
      try {
        this.volumes.remove(n, true);
      } catch (e) {
        debugLog("taking back a volume a failed create made", e);
      }
    }
  }

  of(containerId: string): MountPoint[] {
    return this.volumes.records.mountsOf(containerId);
  }

  /** inspect's and ps's `Mounts`. */
  view(containerId: string): Record<string, unknown>[] {
    return this.of(containerId).filter((m) => !m.hidden).map(mountView);
  }

  /**
   * The runtime's mount list at a start, parents before what is mounted inside
   * them; and whether the container needs a mount namespace copied from the
   * host's now (a bind that follows the host's mounts, a volume's filesystem
   * mounted on the host): a standby's, copied earlier, would lack them.
   */
  runtimeMounts(containerId: string): { binds: BindMount[]; freshMountNamespace: boolean } {
    const mounts = this.volumes.records.mountsWithOptions(containerId)
      .map(({ mount, options }) => ({ mount, opt: optionMount(options) }))
      .sort((a, b) => depth(a.mount.Destination) - depth(b.mount.Destination));
    const binds = mounts.map(({ mount, opt }) => this.runtimeMount(mount, opt));
    const fresh = mounts.some(({ mount, opt }) => mount.Type === "volume" && opt?.kind === "fs") || binds.some((b) => receivesEvents(b.propagation));
    return { binds, freshMountNamespace: fresh };
  }

  /** `opt`: what the volume's driver options mount, for a volume. */
  private runtimeMount(m: MountPoint, opt: OptionMount | undefined): BindMount {
    const base = { destination: m.Destination, readonly: !m.RW };
    if (m.Type === "tmpfs") return { ...base, source: "tmpfs", type: "tmpfs", options: [...tmpfsDefaults, ...(m.tmpfsOptions ?? [])] };
    if (m.Type === "bind") {
      if (!existsSync(m.Source)) {
        if (!m.createSource) throw new InvalidParameterError(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
        mkdirSync(m.Source, { recursive: true, mode: 0o755 });
      }
      const problem = receivesEvents(m.Propagation) ? propagationProblem(m.Source, m.Propagation) : undefined;
      if (problem) throw new SystemError(problem);
      return { ...base, source: m.Source, propagation: m.Propagation, nonRecursive: m.nonRecursive };
    }
    const data = this.volumes.dataPath(m.Name!);
    let source = data;
    if (opt?.kind === "bind") {
      if (!existsSync(opt.source)) throw new SystemError(`error while mounting volume '${data}': failed to mount local volume: mount ${opt.source}:${data}, flags: 0x1000: no such file or directory`);
      source = opt.source;
    }
    if (opt?.kind === "fs") this.hostMounts.acquire(data, opt);
    return { ...base, source, copyUp: !!m.copyData && isEmptyDir(source) };
  }

  /**
   * After a container's run: each volume filesystem it used is unmounted from
   * the host unless another container still holds it (`holds` tells, for the
   * other containers that use the volume).
   */
  release(containerId: string, holds: (otherId: string) => boolean): void {
    for (const { mount: m, options } of this.volumes.records.mountsWithOptions(containerId)) {
      if (m.Type !== "volume" || !m.Name || optionMount(options)?.kind !== "fs") continue;
      const others = this.volumes.records.users(m.Name).filter((id) => id !== containerId && holds(id));
      if (!others.length) this.hostMounts.release(this.volumes.dataPath(m.Name));
    }
  }

  /**
   * The host directory behind a container path that lies in one of its binds
   * or volumes (the deepest such mount), for `cp` into and out of it; the
   * path is matched as written (see followPath). Undefined for the container's
   * own files, a tmpfs, and a volume's own filesystem while nothing mounts it.
   */
  hostPathOf(containerId: string, path: string): { source: string; rest: string; name: string; readonly: boolean } | undefined {
    const p = posix.normalize(`/${path}`).replace(/(.)\/+$/, "$1");
    const h = this.holderOf(this.of(containerId), p);
    if (!h?.source) return undefined;
    return { source: h.source, rest: p.slice(h.mount.Destination.length) || "/", name: posix.basename(h.mount.Destination), readonly: !h.mount.RW };
  }

  /**
   * A container path with its symlinks followed as inside the container,
   * through its binds and volumes (`rootView`: a view of its own files), so
   * that cp to `/link/f` with `/link -> /data` reaches the volume at /data.
   */
  followPath(containerId: string, path: string, followLast: boolean, rootView: string): string {
    const mounts = this.of(containerId);
    return followContainerPath(path, followLast, (at) => {
      const h = this.holderOf(mounts, at);
      if (!h) return { root: rootView, at: "/" };
      return h.source ? { root: h.source, at: h.mount.Destination } : undefined;
    });
  }

  /** The container has binds or volumes for cp to look through. */
  hasHostMounts(containerId: string): boolean {
    return this.of(containerId).some((m) => m.Type !== "tmpfs");
  }

  /** The deepest mount holding the (clean) container path `p`, with its host directory when it has one. */
  private holderOf(mounts: MountPoint[], p: string): { mount: MountPoint; source?: string } | undefined {
    let best: MountPoint | undefined;
    for (const m of mounts) {
      if (!(p === m.Destination || p.startsWith(`${m.Destination}/`))) continue;
      if (!best || m.Destination.length > best.Destination.length) best = m;
    }
    if (!best) return undefined;
    if (best.Type === "tmpfs") return { mount: best };
    let source = best.Source;
    if (best.Type === "volume") {
      const opt = optionMount(this.volumes.records.get(best.Name!)?.options);
      // A volume's own filesystem is there while it is mounted on the host (a container uses it).
      if (opt?.kind === "fs" && !isMountPoint(source)) return { mount: best };
      if (opt?.kind === "bind") source = opt.source;
    }
    return { mount: best, source };
  }

  /** Events for the volumes a start mounted or an exit unmounted. */
  announce(containerId: string, action: "mount" | "unmount"): void {
    const volumes = this.of(containerId).filter((m) => m.Type === "volume");
    if (!volumes.length) return;
    // The daemon's event log is in this database: one commit for them all rather than one each.
    withoutSync(this.volumes.db, () => this.volumes.db.transaction(() => {
      for (const m of volumes) {
        const attrs: Record<string, string> = { driver: m.Driver ?? "local" };
        if (action === "mount") Object.assign(attrs, { container: containerId, destination: m.Destination, propagation: m.Propagation, "read/write": String(m.RW) });
        else attrs.container = containerId;
        this.volumes.events.emit("volume", action, m.Name!, attrs);
      }
    })());
  }

  /** After the container's record is gone: its anonymous volumes go too, unless another container still uses one. */
  removeAnonymous(mounts: MountPoint[]): void {
    for (const m of mounts) {
      if (m.Type !== "volume" || !m.Name) continue;
      const v = this.volumes.records.get(m.Name);
      if (!v?.labels || !(anonymousLabel in v.labels)) continue;
      try {
        this.volumes.remove(m.Name);
      } catch (e) {
        debugLog("removing an anonymous volume with its container", e);
      }
    }
  }
}

function asList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

function depth(p: string): number {
  return p.split("/").filter(Boolean).length;
}

/** Reads one entry at most: a volume may hold millions of files, and this runs at every start. */
function isEmptyDir(p: string): boolean {
  try {
    const dir = opendirSync(p);
    try {
      return dir.readSync() === null;
    } finally {
      dir.closeSync();
    }
  } catch {
    return false;
  }
}
