// A container's user from its own /etc/passwd and /etc/group, with runc's defaults where an entry is missing.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveUser } from "../../src/runtime/user.ts";
import { ownFiles } from "../../src/runtime/file-view.ts";

const bare = mkdtempSync(join(tmpdir(), "berth-test-user-"));
const withPasswd = mkdtempSync(join(tmpdir(), "berth-test-user-"));
mkdirSync(join(withPasswd, "etc"));
writeFileSync(join(withPasswd, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/srv/app:/bin/sh\n");
writeFileSync(join(withPasswd, "etc/group"), "root:x:0:\napp:x:1000:\nextra:x:2000:app\n");
afterAll(() => {
  rmSync(bare, { recursive: true, force: true });
  rmSync(withPasswd, { recursive: true, force: true });
});
const files = (root: string) => ({ ...ownFiles(), read: (p: string) => ownFiles().read(join(root, p)) });

test("without a passwd file, root's home is / (runc's default), and a numeric user's too", () => {
  expect(resolveUser("", files(bare))).toEqual({ uid: 0, gid: 0, groups: [0], home: "/" });
  expect(resolveUser("1234:99", files(bare))).toEqual({ uid: 1234, gid: 99, groups: [99], home: "/" });
});

test("entries give the home, the group and the extra groups; a missing name is refused in runc's words", () => {
  expect(resolveUser("", files(withPasswd)).home).toBe("/root");
  expect(resolveUser("app", files(withPasswd))).toEqual({ uid: 1000, gid: 1000, groups: [1000, 2000], home: "/srv/app" });
  expect(() => resolveUser("nobody2", files(withPasswd))).toThrow("unable to find user nobody2: no matching entries in passwd file");
});
