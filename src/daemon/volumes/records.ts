// Volume rows and the mount points containers hold on them, in the store's
// sqlite. A container's mount row names its volume by a foreign key, so a
// volume in use cannot be deleted even by a racing request.
import type { Database } from "bun:sqlite";
import type { MountPoint } from "./mount-point.ts";

export interface VolumeRecord {
  name: string;
  driver: string;
  created: string;
  labels: Record<string, string> | null;
  options: Record<string, string> | null;
}

interface Row { name: string; driver: string; created: string; labels: string; options: string }

const fromRow = (r: Row): VolumeRecord => ({
  name: r.name, driver: r.driver, created: r.created, labels: JSON.parse(r.labels), options: JSON.parse(r.options),
});

export class VolumeRecords {
  constructor(readonly db: Database) {}

  insert(v: VolumeRecord): void {
    this.db.query("INSERT INTO volumes (name, driver, created, labels, options) VALUES (?, ?, ?, ?, ?)")
      .run(v.name, v.driver, v.created, JSON.stringify(v.labels), JSON.stringify(v.options));
  }

  get(name: string): VolumeRecord | undefined {
    const r = this.db.query<Row, [string]>("SELECT * FROM volumes WHERE name = ?").get(name);
    return r ? fromRow(r) : undefined;
  }

  list(): VolumeRecord[] {
    return this.db.query<Row, []>("SELECT * FROM volumes ORDER BY name").all().map(fromRow);
  }

  delete(name: string): void {
    this.db.query("DELETE FROM volumes WHERE name = ?").run(name);
  }

  /** IDs of the containers (running or not) whose mounts use the volume. */
  users(name: string): string[] {
    return this.db.query<{ container_id: string }, [string]>("SELECT DISTINCT container_id FROM container_mounts WHERE volume = ? ORDER BY container_id")
      .all(name).map((r) => r.container_id);
  }

  /** How many containers use each volume. */
  userCounts(): Map<string, number> {
    const rows = this.db.query<{ volume: string; n: number }, []>("SELECT volume, COUNT(DISTINCT container_id) AS n FROM container_mounts WHERE volume IS NOT NULL GROUP BY volume").all();
    return new Map(rows.map((r) => [r.volume, r.n]));
  }

  /** All of a container's mount rows or none: one transaction (a savepoint inside the caller's). */
  setMounts(containerId: string, mounts: MountPoint[]): void {
    const insert = this.db.query("INSERT INTO container_mounts (container_id, destination, volume, body) VALUES (?, ?, ?, ?)");
    this.db.transaction(() => {
      for (const m of mounts) insert.run(containerId, m.Destination, m.Type === "volume" ? m.Name! : null, JSON.stringify(m));
    })();
  }

  /** A container's mount points, each with its volume's driver options (null for the rest): what a start needs, in one query. */
  mountsWithOptions(containerId: string): { mount: MountPoint; options: Record<string, string> | null }[] {
    return this.db.query<{ body: string; options: string | null }, [string]>(
      "SELECT m.body, v.options FROM container_mounts m LEFT JOIN volumes v ON v.name = m.volume WHERE m.container_id = ? ORDER BY m.rowid",
    ).all(containerId).map((r) => ({ mount: JSON.parse(r.body), options: r.options === null ? null : JSON.parse(r.options) }));
  }

  mountsOf(containerId: string): MountPoint[] {
    return this.db.query<{ body: string }, [string]>("SELECT body FROM container_mounts WHERE container_id = ? ORDER BY rowid")
      .all(containerId).map((r) => JSON.parse(r.body));
  }
}
