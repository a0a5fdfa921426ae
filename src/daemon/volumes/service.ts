// The volume service (local driver): volumes are rows in the store's sqlite
// and directories at `<data-root>/volumes/<name>/_data`. A volume is made in a
// temporary directory, renamed into place, then recorded (synced): a crash
// leaves either a complete volume or a directory without a row, which the
// next start sweeps away. Removal goes the other way round.
import type { Database } from "bun:sqlite";
import { chownSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ConflictError, InvalidParameterError, NotFoundError } from "../../errors.ts";
import { duBytes } from "../disk-usage.ts";
import { labelMatches } from "../label-filter.ts";
import { anonymousLabel, checkVolumeName, randomVolumeName } from "./names.ts";
import { checkLocalOptions } from "./local-options.ts";
import { VolumeRecords, type VolumeRecord } from "./records.ts";
import { VolumeFilesystems } from "./filesystems.ts";

export interface CreateVolumeRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** Where volume events go (the daemon's event bus). */
export interface VolumeEventSink {
  emit(type: string, action: string, id: string, attributes: Record<string, string>): void;
}

const filterKeys = new Set(["dangling", "driver", "label", "label!", "name"]);

export class VolumeService {
  readonly records: VolumeRecords;
  readonly filesystems: VolumeFilesystems;
  readonly dir: string;

  /** `owner`: who a new volume's _data belongs to (under --userns-remap, the remapped root, as dockerd makes it). */
  constructor(readonly db: Database, dataRoot: string, readonly events: VolumeEventSink, readonly owner?: { uid: number; gid: number }) {
    this.records = new VolumeRecords(db);
    this.filesystems = new VolumeFilesystems();
    this.dir = join(dataRoot, "volumes");
    mkdirSync(this.dir, { recursive: true, mode: 0o701 });
  }

  dataPath(name: string): string {
    return join(this.dir, name, "_data");
  }

  /** At daemon start: directories without a row are what a crash in create or remove left. */
  sweep(): void {
    for (const name of readdirSync(this.dir)) {
      if (this.records.get(name)) continue;
      this.filesystems.release(join(this.dir, name, "_data"));
      rmSync(join(this.dir, name), { recursive: true, force: true });
    }
  }

  /** Creates a volume, or returns the one of that name (Docker's create is idempotent). */
  create(req: CreateVolumeRequest, anonymous = false): { volume: VolumeRecord; created: boolean } {
    const driver = req.Driver || "local";
    if (driver !== "local") throw new NotFoundError(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const name = req.Name || randomVolumeName();
    checkVolumeName(name);
    const existing = this.records.get(name);
    if (existing) return { volume: existing, created: false };
    const opts = req.DriverOpts && Object.keys(req.DriverOpts).length ? req.DriverOpts : req.DriverOpts ?? null;
    checkLocalOptions(opts);
    const labels = anonymous ? { ...(req.Labels ?? {}), [anonymousLabel]: "" } : req.Labels ?? null;
    const record: VolumeRecord = { name, driver, created: new Date().toISOString().replace(/\.\d+Z$/, "Z"), labels, options: opts };
    const tmp = join(this.dir, `.creating-${name}-${process.pid}-${Date.now()}`);
    try {
      mkdirSync(join(tmp, "_data"), { recursive: true, mode: 0o755 });
      if (this.owner) chownSync(join(tmp, "_data"), this.owner.uid, this.owner.gid);
      renameSync(tmp, join(this.dir, name));
      this.records.insert(record);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      if (!this.records.get(name)) rmSync(join(this.dir, name), { recursive: true, force: true });
      if (String(e).includes("UNIQUE")) return { volume: this.records.get(name)!, created: false };
      throw e;
    }
    this.events.emit("volume", "create", name, { driver });
    return { volume: record, created: true };
  }

  get(name: string): VolumeRecord {
    const v = this.records.get(name);
    if (!v) throw new NotFoundError(`get ${name}: no such volume`);
    return v;
  }

  view(v: VolumeRecord, usage?: { size: number; refs: number }): Record<string, unknown> {
    return {
      CreatedAt: v.created,
      Driver: v.driver,
      Labels: v.labels,
      Mountpoint: this.dataPath(v.name),
      Name: v.name,
      Options: v.options,
      Scope: "local",
      ...(usage ? { UsageData: { Size: usage.size, RefCount: usage.refs } } : {}),
    };
  }

  list(filters: Record<string, string[]> = {}): VolumeRecord[] {
    for (const k of Object.keys(filters)) if (!filterKeys.has(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
    const counts = this.records.userCounts();
    return this.records.list().filter((v) => this.matches(v, filters, counts.get(v.name) ?? 0));
  }

  private matches(v: VolumeRecord, filters: Record<string, string[]>, refs: number): boolean {
    for (const [k, values] of Object.entries(filters)) {
      if (!values.length) continue;
      const any = (pred: (x: string) => boolean) => values.some(pred);
      if (k === "name" && !any((x) => v.name.includes(x))) return false;
      if (k === "driver" && !any((x) => v.driver === x)) return false;
      if (k === "label" && !values.every((x) => labelMatches(v.labels, x))) return false;
      if (k === "label!" && values.some((x) => labelMatches(v.labels, x))) return false;
      if (k === "dangling") {
        const want = values[values.length - 1]!;
        if (!["true", "false", "1", "0"].includes(want)) throw new InvalidParameterError(`invalid filter 'dangling=${want}'`);
        if ((want === "true" || want === "1") !== (refs === 0)) return false;
      }
    }
    return true;
  }

  remove(name: string, force = false): void {
    const v = this.records.get(name);
    if (!v) {
      if (force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const users = this.records.users(name);
    if (users.length) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(", ")}]`);
    try {
      this.records.delete(name);
    } catch (e) {
      // A container took the volume between the check and the delete (the foreign key refused).
      if (String(e).includes("FOREIGN KEY")) throw new ConflictError(`remove ${name}: volume is in use - [${this.records.users(name).join(", ")}]`);
      throw e;
    }
    // A filesystem a crashed daemon left mounted for the volume would hold its directory.
    this.filesystems.release(this.dataPath(name));
    const trash = join(this.dir, `.removing-${name}-${Date.now()}`);
    try {
      renameSync(join(this.dir, name), trash);
      rmSync(trash, { recursive: true, force: true });
    } catch {
      rmSync(join(this.dir, name), { recursive: true, force: true });
    }
    this.events.emit("volume", "destroy", name, { driver: v.driver });
  }

  /** Unused volumes go: only anonymous ones unless `all` (API 1.42+; older APIs prune every unused volume). */
  prune(filters: Record<string, string[]>, onlyAnonymous: boolean): { VolumesDeleted: string[]; SpaceReclaimed: number } {
    const f = { ...filters };
    const all = f.all?.some((x) => x === "true" || x === "1");
    delete f.all;
    const deleted: string[] = [];
    let space = 0;
    for (const v of this.list({ ...f, dangling: ["true"] })) {
      if (onlyAnonymous && !all && !(v.labels && anonymousLabel in v.labels)) continue;
      const size = duBytes(this.dataPath(v.name));
      try {
        this.remove(v.name);
      } catch (e) {
        if (e instanceof ConflictError) continue;
        throw e;
      }
      deleted.push(v.name);
      space += size;
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: space };
  }

  /** `system df`'s volumes, with their size and how many containers use each. */
  usage(): Record<string, unknown>[] {
    const counts = this.records.userCounts();
    return this.records.list().map((v) => this.view(v, { size: duBytes(this.dataPath(v.name)), refs: counts.get(v.name) ?? 0 }));
  }
}
