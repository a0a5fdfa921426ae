// A container's mount rows are written all together or not at all.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/store/db.ts";
import { VolumeRecords } from "../../src/daemon/volumes/records.ts";
import type { MountPoint } from "../../src/daemon/volumes/mount-point.ts";

const dir = mkdtempSync(join(tmpdir(), "berth-volume-records-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const volumeMount = (name: string, dest: string) =>
  ({ Type: "volume", Name: name, Source: `/v/${name}/_data`, Destination: dest, Driver: "local", Mode: "z", RW: true, Propagation: "" }) as MountPoint;

describe("container mount rows", () => {
  test("setMounts writes every row or none when one is refused", () => {
    const db = openDatabase(join(dir, "meta.db"));
    const records = new VolumeRecords(db);
    records.insert({ name: "there", driver: "local", created: "2026-12-04T00:00:00Z", labels: null, options: null });
    db.query("INSERT INTO containers (id, name, image_id, image, created, config, host_config, state) VALUES (?, ?, '', '', '', '{}', '{}', '{}')").run("c1", "c1");
    // The second row names a volume that does not exist: the foreign key refuses it, and the first goes too.
    expect(() => records.setMounts("c1", [volumeMount("there", "/a"), volumeMount("missing", "/b")])).toThrow(/FOREIGN KEY/);
    expect(records.mountsOf("c1")).toEqual([]);
    expect(records.users("there")).toEqual([]);
    // The same after a duplicate destination (the primary key) in the middle.
    expect(() => records.setMounts("c1", [volumeMount("there", "/a"), volumeMount("there", "/c"), volumeMount("there", "/a")])).toThrow(/UNIQUE/);
    expect(records.mountsOf("c1")).toEqual([]);
    // Inside a caller's transaction that rolls back, nothing stays either.
    expect(() => db.transaction(() => {
      records.setMounts("c1", [volumeMount("there", "/a")]);
      throw new Error("the container's insert failed");
    })()).toThrow("the container's insert failed");
    expect(records.mountsOf("c1")).toEqual([]);
    records.setMounts("c1", [volumeMount("there", "/a"), volumeMount("there", "/b")]);
    expect(records.mountsOf("c1").map((m) => m.Destination)).toEqual(["/a", "/b"]);
    expect(records.users("there")).toEqual(["c1"]);
    db.close();
  });
});
