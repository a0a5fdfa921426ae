// Errors are not swallowed silently (the shaping issue, point 7): every empty
// `catch` and every `.catch` that drops the error says why on its line or the
// one above, or hands the error to the debug log (src/shared/debug-log.ts).
import { expect, test } from "bun:test";
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { debugLog, setDebugLog, skipped } from "../../src/shared/debug-log.ts";

const src = join(import.meta.dir, "../../src");

const emptyCatch = /catch\s*(\(\w*\))?\s*\{\s*\}/;
const droppingCatch = /\.catch\(\(\w*\)\s*=>\s*(\{\s*\}|undefined|null|false|\[\])\)/;

/** Each silent catch with no reason beside it, as "file:line: text". */
function unexplained(): string[] {
  const out: string[] = [];
  for (const f of new Glob("**/*.ts").scanSync(src)) {
    if (f.startsWith("wasm/generated/")) continue;
    const lines = readFileSync(join(src, f), "utf8").split("\n");
    lines.forEach((line, i) => {
      const openEmpty = /catch\s*(\(\w*\))?\s*\{\s*$/.test(line) && lines[i + 1]?.trim() === "}";
      if (!emptyCatch.test(line) && !droppingCatch.test(line) && !openEmpty) return;
      // A comment above a run of such lines covers the run (cleanups in a row).
      let j = i - 1;
      while (j >= 0 && (droppingCatch.test(lines[j]!) || emptyCatch.test(lines[j]!))) j--;
      const explained = line.includes("//") || (lines[j] ?? "").trim().startsWith("//");
      if (!explained) out.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  return out;
}

test("every silent catch in src/ says why the error cannot matter", () => {
  expect(unexplained()).toEqual([]);
});

test("a skipped error reaches stderr at debug level, and only then", async () => {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stderr.write;
  try {
    setDebugLog(false);
    debugLog("quiet", new Error("not shown"));
    setDebugLog(true);
    await Promise.reject(new Error("no such file")).catch(skipped("removing a leftover"));
  } finally {
    process.stderr.write = write;
    setDebugLog(false);
  }
  expect(lines.length).toBe(1);
  expect(lines[0]).toMatch(/ DEBUG removing a leftover: no such file\n$/);
});
