// .dockerignore's rules and path resolution inside a root: pure functions and
// a temp dir of symlinks that try to lead outside.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IgnoreMatcher } from "../../src/build/context/dockerignore.ts";
import { scopedPath } from "../../src/build/fs/scoped-path.ts";
import { resolveSources } from "../../src/build/steps/copy-sources.ts";
import { dirTree } from "../../src/build/fs/source-tree.ts";

describe(".dockerignore", () => {
  test("globs, ** across directories, a leading /, comments", () => {
    const m = IgnoreMatcher.parse("# comment\n*.log\n/build\n**/node_modules\ndocs/**/*.md\n  \n");
    expect(m.ignores("a.log")).toBe(true);
    expect(m.ignores("sub/a.log")).toBe(false); // `*` stays in one directory
    expect(m.ignores("build/x/y")).toBe(true); // a directory's match covers what is under it
    expect(m.ignores("src/build")).toBe(false);
    expect(m.ignores("node_modules/x")).toBe(true);
    expect(m.ignores("a/b/node_modules")).toBe(true);
    expect(m.ignores("docs/README.md")).toBe(true);
    expect(m.ignores("docs/a/b/c.md")).toBe(true);
    expect(m.ignores("docs/a/b/c.txt")).toBe(false);
  });
  test("! re-includes; the last matching pattern decides", () => {
    const m = IgnoreMatcher.parse("data/*.tmp\n!data/keep.tmp\n*.md\n!README.md\nREADME.md\n");
    expect(m.ignores("data/skip.tmp")).toBe(true);
    expect(m.ignores("data/keep.tmp")).toBe(false);
    expect(m.ignores("CHANGES.md")).toBe(true);
    expect(m.ignores("README.md")).toBe(true);
    expect(IgnoreMatcher.parse("*\n!src\n").ignores("src/a/b")).toBe(false);
    expect(IgnoreMatcher.parse("").empty).toBe(true);
  });
});

describe("paths inside a root", () => {
  const root = mkdtempSync("/tmp/berth-scoped-");
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "usr/bin"), { recursive: true });
  symlinkSync("/usr/bin", join(root, "bin")); // absolute: taken relative to the root
  symlinkSync("../../../../etc", join(root, "usr/up")); // .. cannot climb above the root
  symlinkSync("/etc/passwd", join(root, "passwd"));
  writeFileSync(join(root, "usr/bin/tool"), "x");

  test("symlinks resolve within the root", () => {
    expect(scopedPath(root, "/bin/tool")).toBe(`${root}/usr/bin/tool`);
    expect(scopedPath(root, "usr/up/shadow")).toBe(`${root}/etc/shadow`);
    expect(scopedPath(root, "../../etc")).toBe(`${root}/etc`);
    expect(scopedPath(root, "passwd")).toBe(`${root}/etc/passwd`);
    expect(scopedPath(root, "bin", false)).toBe(`${root}/bin`);
  });
  test("COPY sources never leave the context", () => {
    expect(() => resolveSources(dirTree(root), "../x", "COPY")).toThrow("forbidden path outside the build context");
    // A link to the host's /etc/passwd names the context's own (missing) etc/passwd.
    expect(() => resolveSources(dirTree(root), "passwd", "COPY")).toThrow("file not found in build context");
    expect(resolveSources(dirTree(root), "usr/*/t*", "COPY").map((s) => s.rel)).toEqual(["usr/bin/tool"]);
    expect(() => resolveSources(dirTree(root), "*.none", "COPY")).toThrow("COPY failed: no source files were specified");
  });
});
