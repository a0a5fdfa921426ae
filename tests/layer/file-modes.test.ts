// Files are created with their final mode when creat(2) gives it exactly;
// every other mode still lands as the layer says: bits the umask would take,
// setuid and setgid after a chown that clears them, and a directory made
// under a setgid directory (which would inherit its bit).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { applyLayer } from "../../src/layer/apply.ts";
import { item, tarBytes } from "../fixtures/tar-layers.ts";

let tmp: string;
beforeAll(() => (tmp = mkdtempSync("/tmp/berth-test-modes-")));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test("modes land exactly, whatever the umask and the owner", async () => {
  const modes: [string, "file" | "dir", number][] = [
    ["plain", "file", 0o644],
    ["shared", "file", 0o666],
    ["open", "file", 0o777],
    ["none", "file", 0o000],
    ["suid", "file", 0o4755],
    ["sgid", "file", 0o2711],
    ["team", "dir", 0o2775],
    ["team/sub", "dir", 0o755],
    ["team/file", "file", 0o664],
  ];
  const old = process.umask(0o022);
  try {
    const root = join(tmp, "out");
    await applyLayer(
      [await tarBytes(modes.map(([p, type, mode]) => item(p, type, { mode, uid: 1000, gid: 1000, ...(type === "file" ? { content: p } : {}) })))],
      root,
      { chown: process.getuid?.() === 0 },
    );
    for (const [p, , mode] of modes) expect([p, (lstatSync(join(root, p)).mode & 0o7777).toString(8)]).toEqual([p, mode.toString(8)]);
  } finally {
    process.umask(old);
  }
});
