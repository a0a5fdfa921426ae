// The sent context's index against the context unpacked: for a tar with
// nested directories, symlinks (one a parent of later entries, one absolute),
// a hardlink, a replaced entry, a .dockerignore and a secret, every COPY
// source resolves to the same path and hashes to the same key from the index
// as from the files on disk; what the index leaves out is gone from the disk.
// A plain tar's directory, read straight from the tar into a COPY's
// destination, lands as the copy from the unpacked context does.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { receiveContext } from "../../src/build/context/receive.ts";
import { secretsEntry } from "../../src/build/context/secrets-entry.ts";
import { dirTree, type SourceTree } from "../../src/build/fs/source-tree.ts";
import { hashSource, resolveSources } from "../../src/build/steps/copy-sources.ts";
import { ContextTree } from "../../src/build/context/context-tree.ts";
import { copyContextDir } from "../../src/build/steps/copy-from-context.ts";
import { copyInto } from "../../src/build/steps/copy-into.ts";

const tmp = mkdtempSync("/tmp/berth-context-tree-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tarOf(dir: string, ...extra: string[]): ReadableStream<Uint8Array> {
  const r = Bun.spawnSync(["tar", "-C", dir, "-cf", "-", ...extra, "."]);
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return new Response(r.stdout).body!;
}

async function keyOf(tree: SourceTree, pattern: string): Promise<string> {
  const h = new Bun.CryptoHasher("sha256");
  for (const src of resolveSources(tree, pattern, "COPY")) {
    h.update(`${src.path}\0`);
    await hashSource(src, h);
  }
  return h.digest("hex");
}

describe("the context's index", () => {
  const src = join(tmp, "src");
  mkdirSync(join(src, "app/lib/deep"), { recursive: true });
  writeFileSync(join(src, "Dockerfile"), "FROM busybox\n");
  writeFileSync(join(src, ".dockerignore"), "logs\n*.tmp\n!keep.tmp\n");
  writeFileSync(join(src, "app/main.js"), "main\n");
  writeFileSync(join(src, "app/lib/deep/x.txt"), "x\n");
  chmodSync(join(src, "app/lib/deep/x.txt"), 0o4750);
  linkSync(join(src, "app/main.js"), join(src, "app/hard.js"));
  symlinkSync("app/lib", join(src, "lib")); // a link to a directory
  symlinkSync("/app/main.js", join(src, "abs")); // absolute: inside the context
  symlinkSync("../../../etc/passwd", join(src, "escape")); // clamped at the root
  mkdirSync(join(src, "logs"));
  writeFileSync(join(src, "logs/a.log"), "log\n");
  writeFileSync(join(src, "a.tmp"), "gone\n");
  writeFileSync(join(src, "keep.tmp"), "kept\n");
  mkdirSync(join(src, secretsEntry));
  writeFileSync(join(src, secretsEntry, "token"), "s3cret\n");

  test("every source resolves and hashes as the unpacked files do; ignored paths and secrets are gone", async () => {
    const work = mkdtempSync(join(tmp, "work-"));
    const ctx = await receiveContext(tarOf(src), work, "Dockerfile", ["token"]);
    expect(ctx.dockerfileText).toBe("FROM busybox\n");
    expect(await Bun.file(join(ctx.secretsDir!, "token")).text()).toBe("s3cret\n");
    const patterns = [".", "app", "app/*.js", "lib", "lib/deep/x.txt", "abs", "*.tmp", "app/lib/*"];
    const fromIndex = await Promise.all(patterns.map((p) => keyOf(ctx.tree, p)));
    const dir = await ctx.tree.directory();
    const disk = dirTree(dir);
    expect(await Promise.all(patterns.map((p) => keyOf(disk, p)))).toEqual(fromIndex);
    // Content, mode and owner are in the key: the same names with other bytes differ.
    expect(new Set(fromIndex).size).toBe(patterns.length);
    for (const gone of ["logs", "a.tmp", secretsEntry]) {
      expect(ctx.tree.lstat(gone)).toBeUndefined();
      expect(existsSync(join(dir, gone))).toBe(false);
    }
    expect(ctx.tree.lstat("keep.tmp")?.kind).toBe("file");
    expect(ctx.tree.lstat("app/lib/deep/x.txt")?.mode).toBe(0o4750);
    expect(() => resolveSources(ctx.tree, "escape", "COPY")).toThrow("file not found in build context");
    expect(() => resolveSources(ctx.tree, "logs/a.log", "COPY")).toThrow("file not found in build context");
  });

  test("a context that differs only in mtimes has the same keys; one changed byte changes them", async () => {
    const one = await receiveContext(tarOf(src), mkdtempSync(join(tmp, "work-")), "Dockerfile");
    const two = await receiveContext(tarOf(src, "--mtime=2001-02-03"), mkdtempSync(join(tmp, "work-")), "Dockerfile");
    expect(await keyOf(two.tree, ".")).toBe(await keyOf(one.tree, "."));
    writeFileSync(join(src, "app/lib/deep/x.txt"), "y\n");
    const three = await receiveContext(tarOf(src), mkdtempSync(join(tmp, "work-")), "Dockerfile");
    expect(await keyOf(three.tree, "app/main.js")).toBe(await keyOf(one.tree, "app/main.js"));
    expect(await keyOf(three.tree, ".")).not.toBe(await keyOf(one.tree, "."));
  });

  test("a tar entry under a symlinked parent lands inside the context, in the index as on disk", async () => {
    const evil = join(tmp, "evil");
    mkdirSync(evil);
    writeFileSync(join(evil, "Dockerfile"), "FROM busybox\n");
    symlinkSync("/", join(evil, "root"));
    const t = Bun.spawnSync(["tar", "-b1", "-C", evil, "-cf", "-", "Dockerfile", "root"]).stdout;
    // Append root/etc/evil by hand: a path through the link to "/".
    const extra = join(tmp, "extra");
    mkdirSync(join(extra, "root/etc"), { recursive: true });
    writeFileSync(join(extra, "root/etc/evil"), "inside\n");
    const u = Bun.spawnSync(["tar", "-b1", "-C", extra, "-cf", "-", "root/etc/evil"]).stdout;
    const body = new Uint8Array(t.length - 1024 + u.length);
    body.set(t.subarray(0, t.length - 1024));
    body.set(u, t.length - 1024);
    const ctx = await receiveContext(new Response(body).body!, mkdtempSync(join(tmp, "work-")), "Dockerfile");
    expect(ctx.tree.lstat("etc/evil")?.kind).toBe("file");
    const dir = await ctx.tree.directory();
    expect(await Bun.file(join(dir, "etc/evil")).text()).toBe("inside\n");
    expect(await keyOf(ctx.tree, "root/etc/evil")).toBe(await keyOf(dirTree(dir), "root/etc/evil"));
  });

  /** Every entry under `root`: name, kind, mode, owner, and content or link target. */
  function listing(root: string): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
      for (const name of readdirSync(join(root, rel)).sort()) {
        const path = rel ? `${rel}/${name}` : name;
        const st = lstatSync(join(root, path));
        const what = st.isDirectory() ? "dir" : st.isSymbolicLink() ? `-> ${readlinkSync(join(root, path))}` : readFileSync(join(root, path), "utf8");
        out.push(`${path} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${what}`);
        if (st.isDirectory()) walk(path);
      }
    };
    walk("");
    return out;
  }

  test("a plain tar's directory read from the tar lands as the copy from the unpacked context; other tars are unpacked", async () => {
    const plain = join(tmp, "plain");
    mkdirSync(join(plain, "app/sub"), { recursive: true });
    mkdirSync(join(plain, "app/empty"));
    writeFileSync(join(plain, "Dockerfile"), "FROM busybox\n");
    writeFileSync(join(plain, ".dockerignore"), "**/*.tmp\n");
    writeFileSync(join(plain, "app/main.js"), "main\n");
    writeFileSync(join(plain, "app/x.tmp"), "ignored\n");
    writeFileSync(join(plain, "app/sub/deep.txt"), "deep\n");
    chmodSync(join(plain, "app/sub/deep.txt"), 0o640);
    symlinkSync("main.js", join(plain, "app/link"));
    const ctx = await receiveContext(tarOf(plain), mkdtempSync(join(tmp, "work-")), "Dockerfile");
    const tree = ctx.tree as ContextTree;
    expect(tree.readsInPlace).toBe(true);
    for (const [pattern, chmod] of [["app", undefined], [".", 0o600]] as const) {
      const [src] = resolveSources(tree, pattern, "COPY");
      const opts = { what: "COPY" as const, extract: false, owner: { uid: 7, gid: 8 }, ...(chmod !== undefined ? { chmod } : {}) };
      const fromTar = mkdtempSync(join(tmp, "fromtar-"));
      const fromDisk = mkdtempSync(join(tmp, "fromdisk-"));
      await copyInto(fromTar, [{ ...src!, abs: "", copyDir: (t, o, m) => copyContextDir(tree, src!.path, t, o, m) }], "/dst/", opts);
      const unpacked = await tree.directory();
      await copyInto(fromDisk, [{ ...src!, abs: src!.path ? join(unpacked, src!.path) : unpacked }], "/dst/", opts);
      expect(listing(fromTar)).toEqual(listing(fromDisk));
      expect(listing(fromTar).join("\n")).toContain("sub/deep.txt 6");
      expect(listing(fromTar).join("\n")).not.toContain("x.tmp");
    }
    // The first context has a hardlink and a symlinked parent: unpacked, as before.
    const other = await receiveContext(tarOf(src), mkdtempSync(join(tmp, "work-")), "Dockerfile");
    expect((other.tree as ContextTree).readsInPlace).toBe(false);
  });
});
