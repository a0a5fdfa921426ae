// The metadata database's sync levels: FULL by default, NORMAL only inside withoutSync.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, withoutSync } from "../../src/store/db.ts";

const dir = mkdtempSync(join(tmpdir(), "berth-db-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("database sync levels", () => {
  test("commits sync fully, except inside withoutSync, which restores FULL even when it throws", () => {
    const db = openDatabase(join(dir, "meta.db"), []);
    const level = () => (db.query("PRAGMA synchronous").get() as { synchronous: number }).synchronous;
    expect(level()).toBe(2); // FULL
    expect(withoutSync(db, level)).toBe(1); // NORMAL
    expect(level()).toBe(2);
    expect(() => withoutSync(db, () => {
      throw new Error("boom");
    })).toThrow("boom");
    expect(level()).toBe(2);
    db.exec("CREATE TABLE t (v TEXT)");
    // Inside a transaction the level cannot change (SQLite refuses); the transaction's commit syncs.
    expect(db.transaction(() => withoutSync(db, level))()).toBe(2);
    withoutSync(db, () => db.query("INSERT INTO t VALUES (?)").run("kept"));
    db.close();
    // Nothing is lost when the process goes on (or crashes): the row is in the WAL.
    const again = openDatabase(join(dir, "meta.db"), []);
    expect(again.query("SELECT v FROM t").all()).toEqual([{ v: "kept" }]);
    again.close();
  });
});
