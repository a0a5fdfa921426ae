// The metadata database: bun:sqlite in WAL mode with ordered, transactional
// migrations. Later areas (containers, exec sessions, events, volumes,
// networks) append migrations to MIGRATIONS; existing ones never change.
import { Database } from "bun:sqlite";
import { MIGRATIONS, type Migration } from "./migrations.ts";

export type { Migration };

export function openDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): Database {
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA busy_timeout = 5000");
  migrate(db, migrations);
  return db;
}

/**
 * Runs `fn` with commits that are not synced to disk each on its own
 * (synchronous = NORMAL in WAL mode), for rows that only say how things are
 * or were: a container's state, events, exec sessions. A crash of berth loses
 * none of them; a power cut may lose the last few (the next synced commit
 * takes them along). Rows whose loss would leave files without a record, or
 * a record without its files, keep the FULL sync.
 */
export function withoutSync<T>(db: Database, fn: () => T): T {
  // SQLite refuses a new safety level inside a transaction: the enclosing one's commit decides.
  if (db.inTransaction) return fn();
  db.exec("PRAGMA synchronous = NORMAL");
  try {
    return fn();
  } finally {
    db.exec("PRAGMA synchronous = FULL");
  }
}

/** Applies every migration not yet recorded, each in its own transaction. */
export function migrate(db: Database, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const done = new Set(
    db.query<{ version: number }, []>("SELECT version FROM schema_migrations").all().map((r) => r.version),
  );
  const known = new Set(migrations.map((m) => m.version));
  for (const v of done) {
    if (!known.has(v)) throw new Error(`database schema version ${v} is newer than this berth knows; refusing to open`);
  }
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const m of sorted) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      m.up(db);
      db.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        m.version,
        m.name,
        Date.now(),
      );
    }).immediate();
  }
}
