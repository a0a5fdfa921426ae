// What the executable costs to start before berth's own code runs. It embeds ~145 chunks, three
// workers and their source maps (~17 MB); Bun maps them with the executable and reads a chunk when
// it is imported, so a start that returns at once costs what an empty compiled program's does
// (measured: +25 page faults of ~690, CPU within noise). A role's cost is what it imports
// (tests/build/startup-imports.test.ts). This keeps it so: were the embedded graph read, parsed or
// checked at every start (a file loaded eagerly, maps or bytecode processed up front), a CLI
// command, a shim and a stage 2 would each pay it.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { executableBuildOptions } from "../../scripts/build-options.ts";

setDefaultTimeout(120_000);

const root = join(import.meta.dir, "../..") + "/";
const dir = mkdtempSync("/tmp/berth-test-exestart-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Compiles `entry` as dist/berth is compiled; `withGraph` embeds berth's whole graph beside it. */
async function compile(name: string, entry: string, withGraph: boolean): Promise<string> {
  const outfile = join(dir, name);
  const options = executableBuildOptions(root, join(dir, entry), outfile);
  if (!withGraph) options.entrypoints = [join(dir, entry)];
  else options.entrypoints = [join(dir, entry), `${root}src/main.ts`, ...options.entrypoints.slice(1)];
  const out = await Bun.build(options);
  if (!out.success) throw new AggregateError(out.logs, `compiling ${name}`);
  return outfile;
}

/** Minor page faults of one run of `exe`: the waiting shell's cminflt (field 11 of /proc/PID/stat). */
function faults(exe: string, arg = ""): number {
  const r = Bun.spawnSync(["sh", "-c", `"$0" ${arg} >/dev/null 2>&1; read -r s < /proc/$$/stat; echo "$s"`, exe]);
  const fields = r.stdout.toString().trim().split(") ")[1]!.split(" ");
  return Number(fields[11 - 3]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

test("a start that returns at once costs what an empty compiled program's does, with berth's graph embedded", async () => {
  writeFileSync(join(dir, "empty.ts"), "export {};\n");
  // The executable's main returns at once; src/main.ts and everything it imports are embedded as in dist/berth.
  writeFileSync(join(dir, "noop.ts"), 'if (process.argv[2] === "throw") throw new Error("thrown from noop.ts");\nexport {};\n');
  const empty = await compile("empty", "empty.ts", false);
  const noop = await compile("noop", "noop.ts", true);
  expect(Bun.file(noop).size - Bun.file(empty).size).toBeGreaterThan(4_000_000); // the graph is in it

  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 9; i++) a.push(faults(empty)), b.push(faults(noop)); // interleaved: load moves both alike
  expect(median(a)).toBeGreaterThan(300); // the count is of the program's own start
  // Measured +25; the start that reads its embedded graph up front would be hundreds more.
  expect(median(b) - median(a)).toBeLessThan(120);

  // The embedded maps are what makes a stack trace name the source (not the chunk) of a failure.
  const thrown = Bun.spawnSync([noop, "throw"]);
  expect(thrown.exitCode).not.toBe(0);
  expect(thrown.stderr.toString()).toContain("noop.ts:1");
});
