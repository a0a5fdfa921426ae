// Builds dist/berth: one self-contained executable (`bun build --compile`).
import { $ } from "bun";
import pkg from "../package.json";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { executableBuildOptions } from "./build-options.ts";

const root = new URL("..", import.meta.url).pathname;
const commit = (await $`git -C ${root} rev-parse --short=12 HEAD`.nothrow().quiet()).stdout.toString().trim() || "unknown";
const dirty = (await $`git -C ${root} status --porcelain`.nothrow().quiet()).stdout.toString().trim() ? "-dirty" : "";
const target = process.argv.includes("--target") ? process.argv[process.argv.indexOf("--target") + 1] : undefined;

mkdirSync(`${root}dist`, { recursive: true });
// Source maps of earlier builds' chunks (named by content hash) would pile up beside the executable.
for (const f of readdirSync(`${root}dist`, { withFileTypes: true })) {
  if (f.isFile() && f.name.endsWith(".js.map")) rmSync(`${root}dist/${f.name}`);
}

const result = await Bun.build({
  ...executableBuildOptions(root, `${root}src/main.ts`, `${root}dist/berth`, target),
  define: {
    BERTH_VERSION: JSON.stringify(pkg.version),
    BERTH_GIT_COMMIT: JSON.stringify(commit + dirty),
    BERTH_BUILD_TIME: JSON.stringify(new Date().toISOString()),
  },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built ${root}dist/berth (${commit}${dirty})`);
