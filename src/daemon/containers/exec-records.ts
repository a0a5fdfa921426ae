// Exec sessions in the metadata database, so `exec inspect` still answers
// after a daemon restart; they go with their container (ON DELETE CASCADE).
// The running program's handle stays in memory with the daemon that started it.
import type { Database } from "bun:sqlite";
import { withoutSync } from "../../store/db.ts";

export interface ExecRecord {
  id: string;
  containerId: string;
  body: Record<string, any>;
  running: boolean;
  exitCode: number | null;
  pid: number;
}

interface Row {
  id: string;
  container_id: string;
  body: string;
  running: number;
  exit_code: number | null;
  pid: number;
}

export class ExecRecords {
  constructor(private db: Database) {}

  /** At daemon start: sessions a previous daemon left running lost their program with it. */
  markOrphansStopped(): void {
    this.db.query("UPDATE exec_sessions SET running = 0, exit_code = COALESCE(exit_code, 137) WHERE running = 1").run();
  }

  insert(r: ExecRecord): void {
    withoutSync(this.db, () =>
      this.db.query("INSERT INTO exec_sessions (id, container_id, body, running, exit_code, pid) VALUES (?, ?, ?, ?, ?, ?)")
        .run(r.id, r.containerId, JSON.stringify(r.body), r.running ? 1 : 0, r.exitCode, r.pid));
  }

  save(r: ExecRecord): void {
    withoutSync(this.db, () => this.db.query("UPDATE exec_sessions SET running = ?, exit_code = ?, pid = ? WHERE id = ?").run(r.running ? 1 : 0, r.exitCode, r.pid, r.id));
  }

  remove(id: string): void {
    withoutSync(this.db, () => this.db.query("DELETE FROM exec_sessions WHERE id = ?").run(id));
  }

  get(id: string): ExecRecord | undefined {
    const row = this.db.query("SELECT * FROM exec_sessions WHERE id = ?").get(id) as Row | null;
    return row ? { id: row.id, containerId: row.container_id, body: JSON.parse(row.body), running: !!row.running, exitCode: row.exit_code, pid: row.pid } : undefined;
  }

  /** IDs of a container's sessions (docker inspect's ExecIDs). */
  idsOf(containerId: string): string[] {
    return (this.db.query("SELECT id FROM exec_sessions WHERE container_id = ? ORDER BY rowid").all(containerId) as { id: string }[]).map((r) => r.id);
  }
}
