// Every role of the executable (CLI, shim, stage 2) starts by evaluating the
// bundle's top-level imports. Node built-ins that take milliseconds to load
// (node:http alone ~3 ms, node:stream ~1.5 ms, all of these together ~17 ms) must be loaded where
// they are used (src/builtins.ts), never imported at the top of a module. And
// a CLI command loads only the CLI's chunks: no runtime, layer or registry
// transport code that code splitting or a barrel import could bring along. The
// daemon starts with what an idle daemon needs; the rest loads at first use.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
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

let split: Promise<string> | undefined;
/** The bundle built as the executable is (split by role, ESM), once, to a temporary directory with source maps. */
function splitBuild(): Promise<string> {
  return (split ??= (async () => {
    const outdir = mkdtempSync(join(tmpdir(), "berth-split-"));
    const out = await Bun.build({ entrypoints: [join(root, "src/main.ts")], splitting: true, format: "esm", target: "bun", outdir, sourcemap: "linked" });
    expect(out.success).toBe(true);
    return outdir;
  })());
}
afterAll(async () => {
  if (split) rmSync(await split, { recursive: true, force: true });
});

/**
 * What a role loads when it starts: the chunks holding each of `entries` and what they import
 * statically, as their sources and the Node built-ins those chunks import at their top.
 */
async function startupLoad(entries: string[]): Promise<{ sources: string[]; builtins: string[] }> {
  const outdir = await splitBuild();
  const chunks = readdirSync(outdir).filter((f) => f.endsWith(".js"));
  const sources = (f: string): string[] => JSON.parse(readFileSync(join(outdir, `${f}.map`), "utf8")).sources.map((s: string) => s.replace(/^.*?src\//, "src/"));
  const code = (f: string) => readFileSync(join(outdir, f), "utf8");
  const imports = (f: string) => [...code(f).matchAll(/^import\s[^;]*?from\s*"\.\/([^"]+)"|^import\s*"\.\/([^"]+)"/gms)].map((m) => (m[1] ?? m[2])!);
  const seen = new Set<string>();
  for (const entry of entries) {
    const first = chunks.find((f) => sources(f).includes(entry));
    expect(first).toBeDefined();
    for (const q = [first!]; q.length; ) {
      const f = q.shift()!;
      if (seen.has(f)) continue;
      seen.add(f);
      q.push(...imports(f));
    }
  }
  const builtins = [...seen].flatMap((f) => [...code(f).matchAll(/^import\s[^;]*?from\s*"(?:node:)?([a-z_/0-9]+)"/gms)].map((m) => m[1]!));
  return { sources: [...seen].flatMap(sources), builtins };
}

test("every CLI command starts without the container runtime, the layer code or the registry client's transport", async () => {
  // A command's module is imported when it runs (src/cli/commands/index.ts): run's is the largest.
  const { sources: loaded } = await startupLoad(["src/cli/main.ts", "src/cli/commands/run.ts"]);
  expect(loaded).toContain("src/cli/commands/run-flags.ts"); // the walk found the command's chunks
  // Each of these once came along through a shared chunk or a barrel: ~0.5 ms of every command each.
  expect(loaded.filter((s) => /^src\/(runtime|layer)\/|^src\/registry\/client\/(transport|index)\.ts$/.test(s))).toEqual([]);
});

test("the CLI's start loads no other command's code, and exec and run load no node:fs or node:path", async () => {
  const { sources: core } = await startupLoad(["src/cli/main.ts"]);
  expect(core).toContain("src/cli/commands/index.ts");
  expect(core.filter((s) => s.startsWith("src/cli/commands/") && s !== "src/cli/commands/index.ts")).toEqual([]);
  // node:fs alone is ~140 page faults and ~3 ms of CPU of a start; a command that writes
  // output loads it then (src/cli/stdio.ts), one that reads a file where it reads it.
  expect((await startupLoad(["src/shared/daemon-config.ts"])).builtins).toContain("fs"); // the pattern still matches the bundler's output
  for (const cmd of ["exec", "run"]) {
    const { builtins } = await startupLoad(["src/cli/main.ts", `src/cli/commands/${cmd}.ts`]);
    expect({ cmd, builtins: builtins.filter((m) => m === "fs" || m === "path") }).toEqual({ cmd, builtins: [] });
  }
});

test("the daemon starts without the builder, the registry client, image archives, commit and cp, the port proxy, the DNS server or the layer applier", async () => {
  // `berth daemon` is the CLI's daemon command importing src/server/start.ts when it runs.
  const { sources: loaded } = await startupLoad(["src/cli/main.ts", "src/cli/commands/system.ts", "src/server/start.ts"]);
  expect(loaded).toContain("src/daemon/containers/engine.ts"); // the walk found the daemon's chunks
  expect(loaded).toContain("src/api/routes/build.ts"); // the routes are there, their subsystems are not
  // Each is imported where a request first needs it (src/api/routes, Daemon.registry, LocalImageService,
  // NetworkEngine's DNS and ports). Seeding and import stay in the start graph on purpose
  // (src/server/start.ts says why). The layer applier is never the daemon's: each layer is applied
  // by an `__apply` process (src/layer/apply-process).
  const lazy = /^src\/(build|network\/(proxy|dns))\/|^src\/image\/archive\/(?!tar-out\.ts)|^src\/registry\/(client\/(?!errors\.ts|challenge\.ts)|pull\.ts|push\.ts)|^src\/image\/commit\.ts$|^src\/layer\/diff\.ts$|^src\/daemon\/(build-host|registry\/service|registry\/search)\.ts$|^src\/daemon\/containers\/(operations|archive|stats)\.ts$|^src\/layer\/(apply\.ts|apply\/|hash\/|tar\/walker\.ts)/;
  expect(loaded.filter((s) => lazy.test(s))).toEqual([]);
});
