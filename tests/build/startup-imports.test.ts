// Every role of the executable (CLI, shim, stage 2) starts by evaluating the
// bundle's top-level imports. Node built-ins that take milliseconds to load
// (node:http alone ~3 ms, node:stream ~1.5 ms, all of these together ~17 ms) must be loaded where
// they are used (src/builtins.ts), never imported at the top of a module. And
// a CLI command loads only the CLI's chunks: no runtime, layer or registry
// transport code that code splitting or a barrel import could bring along.
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

setDefaultTimeout(120_000);

const root = join(import.meta.dir, "../..");
const slow = ["net", "tls", "stream", "http", "https", "http2", "zlib", "crypto", "child_process", "worker_threads", "tty", "dns", "dgram"];

test("the bundle has no top-level import of a slow Node built-in", async () => {
  const out = await Bun.build({ entrypoints: [join(root, "src/main.ts")], target: "bun", minify: true });
  expect(out.success).toBe(true);
  const code = await out.outputs[0]!.text();
  const imported = [...code.matchAll(/from\s*"(?:node:)?([a-z_/0-9]+)"/g)].map((m) => m[1]!);
  expect(imported.length).toBeGreaterThan(0); // the pattern still matches the bundler's output
  expect(imported.filter((m) => slow.includes(m))).toEqual([]);
});

/** Sources of every chunk a role loads when it starts: the chunk holding `entry` and what it imports statically. */
async function startupSources(entry: string): Promise<string[]> {
  // Built as the executable is (split by role, ESM), to a temporary directory with source maps.
  const outdir = mkdtempSync(join(tmpdir(), "berth-split-"));
  try {
    const out = await Bun.build({ entrypoints: [join(root, "src/main.ts")], splitting: true, format: "esm", target: "bun", outdir, sourcemap: "linked" });
    expect(out.success).toBe(true);
    const chunks = readdirSync(outdir).filter((f) => f.endsWith(".js"));
    const sources = (f: string): string[] => JSON.parse(readFileSync(join(outdir, `${f}.map`), "utf8")).sources.map((s: string) => s.replace(/^.*?src\//, "src/"));
    const imports = (f: string) => [...readFileSync(join(outdir, f), "utf8").matchAll(/^import\s[^;]*?from\s*"\.\/([^"]+)"|^import\s*"\.\/([^"]+)"/gms)].map((m) => (m[1] ?? m[2])!);
    const first = chunks.find((f) => sources(f).includes(entry));
    expect(first).toBeDefined();
    const seen = new Set<string>();
    for (const q = [first!]; q.length; ) {
      const f = q.shift()!;
      if (seen.has(f)) continue;
      seen.add(f);
      q.push(...imports(f));
    }
    return [...seen].flatMap(sources);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

test("every CLI command starts without the container runtime, the layer code or the registry client's transport", async () => {
  const loaded = await startupSources("src/cli/main.ts");
  expect(loaded).toContain("src/cli/commands/containers.ts"); // the walk found the CLI's chunks
  // Each of these once came along through a shared chunk or a barrel: ~0.5 ms of every command each.
  expect(loaded.filter((s) => /^src\/(runtime|layer)\/|^src\/registry\/client\/(transport|index)\.ts$/.test(s))).toEqual([]);
});
