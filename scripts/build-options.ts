// The options dist/berth is built with (scripts/build.ts), shared with tests/build that build the
// same executable around another entry point.
import type { BuildConfig } from "bun";

/** Bun.build's options for the executable: `entry` is its main, `outfile` where it goes. */
export function executableBuildOptions(root: string, entry: string, outfile: string, target?: string): BuildConfig {
  return {
    // Workers are separate entry points inside the one executable (the hash and the proxy pump workers).
    entrypoints: [entry, `${root}src/layer/hash/hash-worker.ts`, `${root}src/network/proxy/pump-worker.ts`],
    compile: {
      ...(target ? { target: target as any } : {}),
      outfile,
      // berth is configured by its flags, environment and daemon.json only: a .env or bunfig.toml
      // in whatever directory it is run from must not change it (and looking costs each start).
      autoloadDotenv: false,
      autoloadBunfig: false,
      // JavaScriptCore starts with its tier-up thresholds 8x higher: a CLI command or a stage 2
      // runs its code once, and compiling it in the JIT cost more than it saved (exec c true: -4 ms
      // CPU, -100 page faults). The roles that keep running (daemon, shim, registry server) set the
      // normal policy back when they start (src/jit-policy.ts).
      jitPolicy: 8,
    } as any,
    minify: true,
    bytecode: true,
    // One chunk per role's module graph: a process evaluates only the code of its role (a CLI
    // command, the daemon, a shim, stage 2), so each of the three processes of a container
    // start loads less. Splitting needs ESM.
    splitting: true,
    format: "esm",
    // Embedded, the maps cost a start nothing (they are read when a stack trace is printed, which
    // they then show in src/ file names and lines): tests/build/executable-start.test.ts.
    sourcemap: "linked",
  };
}
