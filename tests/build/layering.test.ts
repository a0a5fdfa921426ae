// The source's layering (DESIGN.md, "Shape"): each folder of src/ calls only
// the layers below it. This walks every relative import (static, type-only,
// re-exports and dynamic import()) and fails on an upward edge that has bitten
// before, and on any loop between folders.
import { expect, test } from "bun:test";
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const src = join(import.meta.dir, "../../src");

/** Folder → folders it must never import (the issue's list; the rest of the order is kept by the loop check). */
const forbidden: Record<string, string[]> = {
  daemon: ["api", "server", "cli", "client"],
  api: ["store", "runtime", "server", "cli"],
  cli: ["daemon", "store", "api"],
  client: ["cli", "daemon", "api", "store"],
  store: ["image", "daemon", "api", "registry"],
  image: ["daemon", "api", "registry"],
  runtime: ["registry", "api", "daemon"],
  // The compose model is pure: files in, a project out; the CLI's compose commands drive the engine through the client.
  compose: ["cli", "client", "api", "daemon", "store", "runtime", "server", "image", "layer", "registry", "network", "build"],
  shared: ["cli", "client", "api", "daemon", "store", "image", "layer", "registry", "runtime", "server", "compose"],
};

/** The folder a source file belongs to: its first path segment; `src/*.ts` leaves are ".", main.ts is the entry above all. */
function folderOf(file: string): string {
  return file.includes("/") ? file.split("/")[0]! : file === "main.ts" ? "(entry)" : ".";
}

const importPattern = /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gms;

/** Every relative import in the source tree as [importing file, imported file], both relative to src/. */
export function sourceImports(): [string, string][] {
  const files = [...new Glob("**/*.ts").scanSync(src)].filter((f) => !f.startsWith("wasm/generated/"));
  const edges: [string, string][] = [];
  for (const f of files) {
    const text = readFileSync(join(src, f), "utf8");
    for (const m of text.matchAll(importPattern)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith(".")) edges.push([f, relative(src, join(src, dirname(f), spec))]);
    }
  }
  return edges;
}

/** Folder graph: folder → imported folder → one file-level edge that makes it. */
function folderGraph(edges: [string, string][]): Map<string, Map<string, string>> {
  const g = new Map<string, Map<string, string>>();
  for (const [from, to] of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    if (!g.has(a)) g.set(a, new Map());
    if (!g.get(a)!.has(b)) g.get(a)!.set(b, `${from} -> ${to}`);
  }
  return g;
}

/** Each strongly connected set of two or more folders (Tarjan), with the edges inside it. */
function loops(g: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  let n = 0;
  const visit = (v: string) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    for (const w of g.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const set: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      set.push(w);
      if (w === v) break;
    }
    if (set.length > 1) out.push([...g].flatMap(([a, to]) => (set.includes(a) ? [...to].filter(([b]) => set.includes(b)).map(([, e]) => e) : [])));
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

test("the walk sees the source's imports, of every kind", () => {
  const edges = sourceImports();
  const has = (from: string, to: string) => edges.some(([a, b]) => a === from && b === to);
  expect(has("main.ts", "cli/main.ts")).toBe(true); // a dynamic import()
  expect(edges.length).toBeGreaterThan(500);
});

test("no folder imports a layer above it", () => {
  const g = folderGraph(sourceImports());
  const upward = Object.entries(forbidden).flatMap(([a, bs]) => bs.flatMap((b) => (g.get(a)?.has(b) ? [g.get(a)!.get(b)!] : [])));
  expect(upward).toEqual([]);
});

/** Folders that reach another only through its public index: folder → [folder, its door]. */
const doors: [string, string, string][] = [
  ["daemon", "runtime", "runtime/index.ts"],
  ["server", "runtime", "runtime/index.ts"],
];

/** The imports that go around a door: into the folder, at a file other than its index. */
export function pastDoors(edges: [string, string][]): string[] {
  return edges.flatMap(([from, to]) =>
    doors.some(([a, b, door]) => folderOf(from) === a && folderOf(to) === b && to !== door) ? [`${from} -> ${to}`] : [],
  );
}

test("the daemon drives containers only through the runtime's index", () => {
  expect(pastDoors(sourceImports())).toEqual([]);
  // The check itself finds one that goes around.
  expect(pastDoors([["daemon/containers/engine.ts", "runtime/cgroups/index.ts"], ["daemon/x.ts", "runtime/index.ts"]])).toEqual(["daemon/containers/engine.ts -> runtime/cgroups/index.ts"]);
});

test("no import loop between folders", () => {
  expect(loops(folderGraph(sourceImports()))).toEqual([]);
});

test("the loop check finds a loop", () => {
  const g = folderGraph([["a/x.ts", "b/y.ts"], ["b/y.ts", "c/z.ts"], ["c/z.ts", "a/w.ts"], ["d/v.ts", "a/x.ts"]]);
  expect(loops(g)).toEqual([["a/x.ts -> b/y.ts", "b/y.ts -> c/z.ts", "c/z.ts -> a/w.ts"]]);
});
