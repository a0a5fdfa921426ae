// Every role of the executable (CLI, shim, stage 2) starts by evaluating the
// bundle's top-level imports. Node built-ins that take milliseconds to load
// (node:http alone ~3 ms, node:stream ~1.5 ms, all of these together ~17 ms) must be loaded where
// they are used (src/builtins.ts), never imported at the top of a module.
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";

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
