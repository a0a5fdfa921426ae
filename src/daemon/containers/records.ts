// Container rows in the metadata database: configuration as the Engine API
// gave it, and the last state the daemon saw. IDs are 64 hex like Docker's and
// can be looked up by unique prefix or by name.
import type { Database } from "bun:sqlite";
import { withoutSync } from "../../store/db.ts";
import { ConflictError, NotFoundError } from "../../errors.ts";
import type { Health } from "./health/state.ts";

export interface ContainerState {
  Status: "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  /** Only for a container with a health probe (dockerd omits it otherwise). */
  Health?: Health;
}

export interface ContainerRecord {
  id: string;
  name: string;
  imageId: string;
  image: string;
  created: string;
  config: Record<string, any>;
  hostConfig: Record<string, any>;
  state: ContainerState;
  restartCount: number;
  /** Stopped or killed through the API since its last start by hand (dockerd's HasBeenManuallyStopped). */
  manuallyStopped: boolean;
}

interface Row {
  id: string;
  name: string;
  image_id: string;
  image: string;
  created: string;
  config: string;
  host_config: string;
  state: string;
  restart_count: number;
  manually_stopped: number;
}

const zeroTime = "0001-01-01T00:00:00Z";

/**
 * Whether a process runs for the container (running or paused). A container waiting out its
 * restart policy's delay is Running too, as dockerd shows it, but has none.
 */
export function hasProcess(s: ContainerState): boolean {
  return s.Running && !s.Restarting;
}

export function initialState(): ContainerState {
  return {
    Status: "created", Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: "", StartedAt: zeroTime, FinishedAt: zeroTime,
  };
}

function fromRow(r: Row): ContainerRecord {
  return {
    id: r.id, name: r.name, imageId: r.image_id, image: r.image, created: r.created,
    config: JSON.parse(r.config), hostConfig: JSON.parse(r.host_config), state: JSON.parse(r.state),
    restartCount: r.restart_count, manuallyStopped: !!r.manually_stopped,
  };
}

export class ContainerRecords {
  constructor(readonly db: Database) {}

  insert(c: ContainerRecord): void {
    try {
      this.db
        .query(`INSERT INTO containers (id, name, image_id, image, created, config, host_config, state, restart_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(c.id, c.name, c.imageId, c.image, c.created, JSON.stringify(c.config), JSON.stringify(c.hostConfig),
          JSON.stringify(c.state), c.restartCount);
    } catch (e) {
      if (String(e).includes("UNIQUE") && String(e).includes("name")) throw this.nameConflict(c.name);
      throw e;
    }
  }

  nameConflict(name: string): ConflictError {
    const other = this.byName(name);
    return new ConflictError(
      `Conflict. The container name "/${name}" is already in use by container "${other?.id ?? "?"}". ` +
        `You have to remove (or rename) that container to be able to reuse that name.`,
    );
  }

  byName(name: string): ContainerRecord | undefined {
    const r = this.db.query<Row, [string]>("SELECT * FROM containers WHERE name = ?").get(name);
    return r ? fromRow(r) : undefined;
  }

  get(id: string): ContainerRecord | undefined {
    const r = this.db.query<Row, [string]>("SELECT * FROM containers WHERE id = ?").get(id);
    return r ? fromRow(r) : undefined;
  }

  /** Docker's lookup order: full ID, exact name, then unique ID prefix. */
  find(ref: string): ContainerRecord {
    const key = ref.startsWith("/") ? ref.slice(1) : ref;
    const exact = this.get(key) ?? this.byName(key);
    if (exact) return exact;
    if (/^[0-9a-f]+$/.test(key)) {
      const rows = this.db.query<Row, [string]>("SELECT * FROM containers WHERE id LIKE ? LIMIT 2").all(`${key}%`);
      if (rows.length === 1) return fromRow(rows[0]!);
      if (rows.length > 1) throw new NotFoundError(`No such container: ${ref}`);
    }
    throw new NotFoundError(`No such container: ${ref}`);
  }

  list(): ContainerRecord[] {
    return this.db.query<Row, []>("SELECT * FROM containers ORDER BY created DESC").all().map(fromRow);
  }

  saveState(id: string, state: ContainerState): void {
    withoutSync(this.db, () => this.db.query("UPDATE containers SET state = ? WHERE id = ?").run(JSON.stringify(state), id));
  }

  setManuallyStopped(id: string, stopped: boolean): void {
    withoutSync(this.db, () => this.db.query("UPDATE containers SET manually_stopped = ? WHERE id = ?").run(stopped ? 1 : 0, id));
  }

  rename(id: string, name: string): void {
    try {
      this.db.query("UPDATE containers SET name = ? WHERE id = ?").run(name, id);
    } catch (e) {
      if (String(e).includes("UNIQUE")) throw this.nameConflict(name);
      throw e;
    }
  }

  remove(id: string): void {
    this.db.query("DELETE FROM containers WHERE id = ?").run(id);
  }

  idsUsingImage(imageId: string): string[] {
    return this.db.query<{ id: string }, [string]>("SELECT id FROM containers WHERE image_id = ?").all(imageId).map((r) => r.id);
  }

  nameTaken = (name: string): boolean => this.byName(name) !== undefined;
}
