// Builds dist/berth: one self-contained executable (`bun build --compile`).
import { $ } from "bun";
import pkg from "../package.json";
import { mkdirSync, readdirSync, rmSync } from "node:fs";

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
  // Workers are separate entry points inside the one executable (see src/layer/worker).
  entrypoints: [`${root}src/main.ts`, `${root}src/layer/worker/apply-worker.ts`, `${root}src/layer/hash/hash-worker.ts`, `${root}src/network/proxy/pump-worker.ts`],
  compile: {
    ...(target ? { target: target as any } : {}),
    outfile: `${root}dist/berth`,
    // berth is configured by its flags, environment and daemon.json only: a .env or bunfig.toml
    // in whatever directory it is run from must not change it (and looking costs each start).
    autoloadDotenv: false,
    autoloadBunfig: false,
    // JavaScriptCore starts with its tier-up thresholds 8x higher: a CLI command or a stage 2
    // runs its code once, and compiling it in the JIT cost more than it saved (exec c true: -4 ms
    // CPU, -100 page faults). The roles that keep running (daemon, shim, registry server) set the
    // normal policy back when they start (src/jit-policy.ts).
    jitPolicy: 8,
  },
  minify: true,
  bytecode: true,
  // One chunk per role's module graph: a process evaluates only the code of its role (a CLI
  // command, the daemon, a shim, stage 2), so each of the three processes of a container
  // start loads less. Splitting needs ESM.
  splitting: true,
  format: "esm",
  sourcemap: "linked",
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
