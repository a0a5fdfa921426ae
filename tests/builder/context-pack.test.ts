// The context tar berth build sends (src/build/context/pack.ts through the
// CLI's contextTar), read back by GNU tar: byte order, owners 0:0, files
// bigger than a chunk, hardlinks, symlinks, .dockerignore with a re-included
// file under an ignored directory, the Dockerfile kept though ignored, extras.
import { afterAll, expect, test } from "bun:test";
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contextTar } from "../../src/cli/commands/build.ts";

const dir = mkdtempSync(join(tmpdir(), "berth-context-pack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the packed context holds what GNU tar reads back, with .dockerignore applied", async () => {
  const ctx = join(dir, "ctx");
  mkdirSync(join(ctx, "ignored/deep"), { recursive: true });
  mkdirSync(join(ctx, "docker"), { recursive: true });
  mkdirSync(join(ctx, "src"));
  const big = new Uint8Array(700_001).map((_, i) => (i * 7) & 0xff); // spans three 256 KiB chunks
  writeFileSync(join(ctx, "src/big.bin"), big);
  writeFileSync(join(ctx, "src/b.txt"), "b\n");
  linkSync(join(ctx, "src/b.txt"), join(ctx, "src/a-link.txt"));
  symlinkSync("b.txt", join(ctx, "src/sym"));
  writeFileSync(join(ctx, "src/É.txt"), "utf-8 name\n");
  writeFileSync(join(ctx, "ignored/deep/skip.txt"), "no\n");
  writeFileSync(join(ctx, "ignored/deep/keep.txt"), "yes\n");
  writeFileSync(join(ctx, "docker/Dockerfile"), "FROM scratch\n");
  writeFileSync(join(ctx, "x.log"), "no\n");
  writeFileSync(join(ctx, ".dockerignore"), "ignored\n!ignored/deep/keep.txt\n*.log\ndocker\n");
  const stream = await contextTar(ctx, "docker/Dockerfile", [{ name: "extra/", data: new Uint8Array() }, { name: "extra/f", data: new TextEncoder().encode("extra\n"), mode: 0o600 }]);
  const tar = join(dir, "ctx.tar");
  await Bun.write(tar, new Response(stream));
  const list = Bun.spawnSync(["tar", "--numeric-owner", "-tvf", tar]);
  expect(list.exitCode).toBe(0);
  const rows = list.stdout.toString().trim().split("\n").map((l) => l.split(/\s+/));
  expect(rows.map((r) => r.slice(5).join(" "))).toEqual([
    ".dockerignore",
    "docker/Dockerfile",
    "ignored/deep/keep.txt",
    "src/",
    "src/a-link.txt",
    "src/b.txt link to src/a-link.txt",
    "src/big.bin",
    "src/sym -> b.txt",
    "src/É.txt",
    "extra/",
    "extra/f",
  ]);
  for (const r of rows) expect(r[1]).toBe("0/0");
  expect(rows.at(-1)![0]).toBe("-rw-------");
  const out = join(dir, "out");
  mkdirSync(out);
  expect(Bun.spawnSync(["tar", "-C", out, "-xf", tar]).exitCode).toBe(0);
  expect(new Uint8Array(await Bun.file(join(out, "src/big.bin")).arrayBuffer())).toEqual(big);
  expect(await Bun.file(join(out, "src/b.txt")).text()).toBe("b\n");
  expect(await Bun.file(join(out, "extra/f")).text()).toBe("extra\n");
});
