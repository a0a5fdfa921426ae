// Builds a source tree with every kind of entry a layer may hold and archives
// it with GNU tar (gnu, pax, ustar) and busybox tar; shared by the tar tests.
import { chmodSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync, linkSync } from "node:fs";
import { join } from "node:path";
import type { TarEntry, TarEvent, TarWalker } from "../../src/layer/tar/types.ts";

export function run(cmd: string[], cwd?: string): string {
  const p = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${p.stderr.toString()}`);
  return p.stdout.toString();
}

/** A test that cannot run here: fail under CI, else warn and skip. */
export function missing(why: string): boolean {
  if (process.env.CI === "true") throw new Error(why);
  console.warn(`skipped: ${why}`);
  return true;
}

export const LONG_DIR = "d".repeat(60);
export const LONG_FILE = `${LONG_DIR}/${"f".repeat(80)}`;
export const LONG_NAME = "n".repeat(120);
export const LONG_TARGET = `${"t".repeat(70)}/${"u".repeat(80)}`;
export const XATTR_VALUE = new Uint8Array([104, 105, 0, 255, 1]);

function random(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

export interface Fixtures {
  dir: string;
  gnu: Uint8Array;
  pax: Uint8Array;
  ustar: Uint8Array;
  busybox: Uint8Array;
  bigIdsGnu: Uint8Array;
  bigIdsPax: Uint8Array;
}

/** Creates `dir/tree` (+ `dir/old`, negative mtime) and the archives of it. */
export function makeFixtures(dir: string): Fixtures {
  const t = join(dir, "tree");
  mkdirSync(join(t, LONG_DIR), { recursive: true });
  mkdirSync(join(t, "sub"), { mode: 0o750 });
  writeFileSync(join(t, "empty"), "");
  chmodSync(join(t, "empty"), 0o600);
  for (const n of [1, 511, 512, 513, 100_003]) writeFileSync(join(t, `b${n}`), random(n));
  writeFileSync(join(t, "sub", "setuid"), "#!/bin/sh\n");
  chmodSync(join(t, "sub", "setuid"), 0o4755);
  writeFileSync(join(t, LONG_FILE), random(3000));
  writeFileSync(join(t, LONG_NAME), "long name\n");
  writeFileSync(join(t, "ünïcode-名前.txt"), "unicode\n");
  symlinkSync(LONG_TARGET, join(t, "link-long"));
  symlinkSync("b1", join(t, "link-short"));
  linkSync(join(t, "b100003"), join(t, "hard"));
  run(["mkfifo", join(t, "fifo")]);
  run(["mknod", join(t, "chardev"), "c", "1", "3"]);
  run(["mknod", join(t, "blockdev"), "b", "7", "0"]);
  writeFileSync(join(t, "xattr-file"), "with xattrs\n");
  run(["python3", "-c", `import os; os.setxattr(${JSON.stringify(join(t, "xattr-file"))}, "user.test", bytes(${JSON.stringify([...XATTR_VALUE])})); os.setxattr(${JSON.stringify(join(t, "xattr-file"))}, "user.empty", b"")`]);
  // Fractional mtimes (kept in PAX), set last so nothing touches them afterwards.
  utimesSync(join(t, "b513"), 1_600_000_000.25, 1_600_000_000.123456);
  mkdirSync(join(dir, "old"));
  writeFileSync(join(dir, "old", "ancient"), "1960\n");
  // (Bun's utimesSync ignores negative times; touch does not.)
  run(["touch", "-d", "@-315619200", join(dir, "old", "ancient")]);

  const tar = (args: string[], out: string) => {
    run(["tar", ...args, "-f", join(dir, out), "-C", dir, ...(args.includes("--format=ustar") ? [`tree/${LONG_DIR}`] : ["tree"])]);
    return new Uint8Array(readFileSync(join(dir, out)));
  };
  const gnu = tar(["--format=gnu", "-c"], "gnu.tar");
  run(["tar", "--format=gnu", "-rf", join(dir, "gnu.tar"), "-C", dir, "old"]);
  const pax = tar(["--format=pax", "--xattrs", "-c"], "pax.tar");
  run(["tar", "--format=pax", "-rf", join(dir, "pax.tar"), "-C", dir, "old"]);
  const ustar = tar(["--format=ustar", "-c"], "ustar.tar");
  run(["busybox", "tar", "-cf", join(dir, "busybox.tar"), "-C", dir, "tree"]);
  const ids = ["--owner=big:3000000", "--group=big:3000001", "-c"];
  const bigIdsGnu = tar(["--format=gnu", ...ids], "bigids-gnu.tar");
  const bigIdsPax = tar(["--format=pax", ...ids], "bigids-pax.tar");
  return {
    dir,
    gnu: new Uint8Array(readFileSync(join(dir, "gnu.tar"))),
    pax: new Uint8Array(readFileSync(join(dir, "pax.tar"))),
    ustar,
    busybox: new Uint8Array(readFileSync(join(dir, "busybox.tar"))),
    bigIdsGnu,
    bigIdsPax,
  };
}

export interface Walked {
  entry: TarEntry;
  dataLength: number;
  sha256: string;
}

/** Feeds `bytes` to `walker` in pieces from `split`, returning entries with their data digests. */
export function walk(walker: TarWalker, bytes: Uint8Array, split: (offset: number) => number = () => bytes.length): Walked[] {
  const out: Walked[] = [];
  let hasher: Bun.CryptoHasher | undefined;
  let current: Walked | undefined;
  const take = (events: TarEvent[]) => {
    for (const ev of events) {
      if (ev.kind === "entry") {
        if (current) throw new Error(`entry ${ev.entry.path} before entryEnd of ${current.entry.path}`);
        current = { entry: ev.entry, dataLength: 0, sha256: "" };
        hasher = new Bun.CryptoHasher("sha256");
      } else if (ev.kind === "data") {
        if (!current || !hasher) throw new Error("data outside an entry");
        if (ev.data.length === 0) throw new Error("empty data event");
        current.dataLength += ev.data.length;
        hasher.update(ev.data);
      } else {
        if (!current || !hasher) throw new Error("entryEnd outside an entry");
        current.sha256 = hasher.digest("hex");
        out.push(current);
        current = undefined;
      }
    }
  };
  for (let at = 0; at < bytes.length; ) {
    const n = Math.max(1, split(at));
    take(walker.push(bytes.subarray(at, at + n)));
    at += n;
  }
  walker.finish();
  if (current) throw new Error("stream ended inside an entry but finish() passed");
  return out;
}

export function sha256Hex(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

function kindOf(mode: bigint): TarEntry["type"] {
  const fmt = Number(mode) & 0o170000;
  return ({ 0o100000: "file", 0o040000: "dir", 0o120000: "symlink", 0o020000: "char", 0o060000: "block", 0o010000: "fifo" } as const)[
    fmt as 0o100000
  ];
}

export interface Expect {
  fractionalMtime: boolean;
  uid?: number;
  gid?: number;
  xattrs?: boolean;
}

/** Asserts every walked entry against the file it was made from; returns problems found. */
export function compareWithSource(root: string, walked: Walked[], expect: Expect): string[] {
  const problems: string[] = [];
  const check = (path: string, what: string, got: unknown, want: unknown) => {
    if (got !== want) problems.push(`${path}: ${what} ${String(got)} != ${String(want)}`);
  };
  for (const { entry, dataLength, sha256 } of walked) {
    const p = entry.path;
    const full = join(root, p.replace(/\/$/, ""));
    const st = lstatSync(full, { bigint: true });
    const kind = kindOf(st.mode);
    if (entry.type === "hardlink") {
      check(p, "link inode", lstatSync(join(root, entry.linkname ?? "?"), { bigint: true }).ino, st.ino);
      check(p, "kind of hardlinked file", kind, "file");
    } else {
      check(p, "type", entry.type, kind);
    }
    check(p, "mode", entry.mode, Number(st.mode) & 0o7777);
    check(p, "uid", entry.uid, expect.uid ?? Number(st.uid));
    check(p, "gid", entry.gid, expect.gid ?? Number(st.gid));
    if (expect.uid === undefined) check(p, "uname", entry.uname, "root");
    const size = entry.type === "file" ? Number(st.size) : 0;
    check(p, "size", entry.size, size);
    check(p, "data length", dataLength, size);
    if (entry.type === "file") check(p, "content", sha256, sha256Hex(new Uint8Array(readFileSync(full))));
    if (entry.type === "symlink") check(p, "linkname", entry.linkname, readlinkSync(full));
    if (entry.type === "char" || entry.type === "block") {
      const rdev = Number(st.rdev);
      check(p, "devmajor", entry.devmajor, (rdev >> 8) & 0xfff);
      check(p, "devminor", entry.devminor, (rdev & 0xff) | ((rdev >> 12) & 0xfff00));
    }
    const ns = st.mtimeNs;
    let sec = ns / 1_000_000_000n;
    if (ns < 0n && ns % 1_000_000_000n !== 0n) sec -= 1n;
    const frac = ns - sec * 1_000_000_000n;
    const mtime = expect.fractionalMtime && frac !== 0n ? parseFloat(`${sec}.${frac.toString().padStart(9, "0")}`) : Number(sec);
    check(p, "mtime", entry.mtime, mtime);
    if (expect.xattrs && p.endsWith("xattr-file")) {
      const x = entry.xattrs ?? {};
      check(p, "xattr names", Object.keys(x).sort().join(","), "user.empty,user.test");
      check(p, "user.test", Buffer.from(x["user.test"] ?? []).toString("hex"), Buffer.from(XATTR_VALUE).toString("hex"));
      check(p, "user.empty length", x["user.empty"]?.length, 0);
    }
  }
  return problems;
}

/** The paths GNU tar lists for an archive, in order. */
export function gnuTarPaths(dir: string, archive: string): string[] {
  return run(["tar", "--quoting-style=literal", "-tf", join(dir, archive)]).split("\n").filter((l) => l !== "");
}
