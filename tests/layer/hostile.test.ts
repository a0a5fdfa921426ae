// Hostile layers: each must fail or land safely inside the target, and
// nothing around the target (a sentinel dir beside it, /etc, /tmp) may be
// created or changed. Run in both whiteout modes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyLayer } from "../../src/layer/apply.ts";
import { InvalidDataError } from "../../src/errors.ts";
import { item, tarBytes } from "../fixtures/tar-layers.ts";
import type { TarWriteItem } from "../../src/layer/tar/write.ts";

let base: string;
beforeAll(() => { base = mkdtempSync("/tmp/berth-test-hostile-"); });
afterAll(() => { rmSync(base, { recursive: true, force: true }); });

/** Everything under `dir` except `skip`: path, type, size, mtime, content. */
function snapshot(dir: string, skip: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (p === skip) continue;
      const st = lstatSync(p);
      out.push(`${p} ${st.mode} ${st.size} ${st.mtimeMs} ${st.isFile() ? readFileSync(p, "hex") : st.isSymbolicLink() ? readlinkSync(p) : ""}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * The names in /tmp a layer could make or delete if it climbed out of its
 * target (which lies three levels below /tmp): every component of its paths
 * and link targets. Only these are compared, so other processes' temp files
 * cannot race the check.
 */
function namesOf(entries: TarWriteItem[]): Set<string> {
  const parts = entries.flatMap((e) => [e.entry.path, e.entry.linkname ?? ""]).flatMap((p) => p.split("/"));
  return new Set(parts.map((n) => n.replace(/^\.wh\./, "")).filter((n) => n && n !== "." && n !== ".."));
}

const inTmp = (names: Set<string>) => readdirSync("/tmp").filter((n) => names.has(n)).sort();

const f = (p: string, content = "pwned") => item(p, "file", { content });
const link = (p: string, target: string) => item(p, "symlink", { linkname: target });
const hard = (p: string, target: string) => item(p, "hardlink", { linkname: target });
const dir = (p: string) => item(p, "dir");

// [name, entries, expected outcome: "error" or a check of the target]
const CASES: [string, TarWriteItem[], "error" | ((t: string) => void)][] = [
  ["../../etc/passwd", [f("../../etc/passwd")], "error"],
  ["a/../../x", [dir("a/"), f("a/../../x")], "error"],
  ["/abs/path is made relative", [f("/abs/path")], (t) => expect(readFileSync(join(t, "abs/path"), "utf8")).toBe("pwned")],
  ["evil -> / then evil/etc/x", [link("evil", "/"), f("evil/etc/x")], (t) => expect(readFileSync(join(t, "etc/x"), "utf8")).toBe("pwned")],
  ["evil -> ../../.. then evil/x", [link("evil", "../../.."), f("evil/x")], (t) => expect(readFileSync(join(t, "x"), "utf8")).toBe("pwned")],
  ["evil -> sentinel dir beside the target then evil/x", [link("evil", "../sentinel"), f("evil/x")], (t) => expect(existsSync(join(t, "sentinel/x"))).toBe(true)],
  ["hardlink to /etc/passwd", [hard("h", "/etc/passwd")], "error"],
  ["hardlink to ../outside", [hard("h", "../sentinel/canary")], "error"],
  ["hardlink to a symlink to outside, then written", [link("s", "/etc/passwd"), hard("h", "s"), f("h", "over")], (t) => {
    expect(readFileSync(join(t, "h"), "utf8")).toBe("over");
    expect(lstatSync(join(t, "s")).isSymbolicLink()).toBe(true);
  }],
  ["file over a symlink to outside replaces the symlink", [link("s", "../sentinel/canary"), f("s", "over")], (t) => expect(lstatSync(join(t, "s")).isFile()).toBe(true)],
  ["dir, then a symlink replacing it, then a write below", [dir("d/"), f("d/y"), link("d", "../sentinel"), f("d/x")], (t) => {
    expect(lstatSync(join(t, "d")).isSymbolicLink()).toBe(true);
    expect(existsSync(join(t, "sentinel/x"))).toBe(true);
  }],
  ["symlink, then a dir replacing it, then a write below", [link("d", "../sentinel"), dir("d/"), f("d/x")], (t) => expect(lstatSync(join(t, "d/x")).isFile()).toBe(true)],
  ["whiteout .wh... climbing out", [f(".wh..", "")], "error"],
  ["whiteout ../.wh.sentinel", [f("../.wh.sentinel", "")], "error"],
  ["whiteout through a symlink to /", [dir("etc/"), link("evil", "/"), f("evil/.wh.etc", "")], (t) => expect(lstatSync(join(t, "etc"), { throwIfNoEntry: false })?.isDirectory() ?? false).toBe(false)],
  ["opaque dir through a symlink to outside", [link("evil", "../sentinel"), f("evil/.wh..wh..opq", "")], (t) => expect(existsSync(join(t, "sentinel"))).toBe(true)],
  ["huge size with short data", [], "error"],
  ["symlink loop", [link("a", "b"), link("b", "a"), f("a/x")], "error"],
  ["the root replaced by a file", [f("./")], "error"],
];

async function hugeTruncated(): Promise<Uint8Array> {
  const t = await tarBytes([f("big", "x".repeat(1000))]);
  const h = t.slice(0, 1024); // header + start of data, no end
  h.set(new TextEncoder().encode("77777777770\0"), 124); // ~8 GiB
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  h.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  return h;
}

describe.each(["delete", "overlay"] as const)("%s mode", (mode) => {
  test.each(CASES)("%s", async (name, entries, outcome) => {
    const root = join(base, `${mode}-${name.replace(/\W+/g, "_")}`);
    const sentinel = join(root, "sentinel");
    mkdirSync(sentinel, { recursive: true });
    writeFileSync(join(sentinel, "canary"), "canary");
    mkdirSync(join(sentinel, "etc"));
    const target = join(root, "target");
    const before = snapshot(root, target);
    const passwd = readFileSync("/etc/passwd");
    const names = namesOf(entries);
    const tmpBefore = inTmp(names);
    const tar = name.startsWith("huge") ? await hugeTruncated() : await tarBytes(entries);
    let error: unknown;
    try {
      await applyLayer([tar], target, { whiteoutMode: mode });
    } catch (e) {
      error = e;
    }
    if (outcome === "error") {
      expect(error).toBeInstanceOf(InvalidDataError);
    } else {
      if (error) throw error;
      outcome(target);
    }
    expect(snapshot(root, target)).toEqual(before);
    expect(readFileSync("/etc/passwd").equals(passwd)).toBe(true);
    for (const p of ["/abs", "/x", "/etc/x", join(base, "x"), "/tmp/x"]) expect(existsSync(p)).toBe(false);
    expect(inTmp(names)).toEqual(tmpBefore);
  });
});
