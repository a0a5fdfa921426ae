// `bun run bench`: runs every benchmark in this folder (or those named on the
// command line) and prints one Markdown report; `--write` also puts each
// benchmark's result in place in the results section of docs/PERFORMANCE.md.
import { readdirSync } from "node:fs";
import { $ } from "bun";

const here = new URL(".", import.meta.url).pathname;
const args = process.argv.slice(2);
const write = args.includes("--write");
const only = args.filter((a) => !a.startsWith("--"));
const names = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "index.ts" && !f.startsWith("_"))
  .map((f) => f.slice(0, -3))
  .filter((n) => only.length === 0 || only.includes(n))
  .sort();

const cpu = (await Bun.file("/proc/cpuinfo").text()).match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
const kernel = (await $`uname -r`.quiet()).stdout.toString().trim();
const runLine = [
  `Run on ${new Date().toISOString().slice(0, 10)}: ${cpu}, ${navigator.hardwareConcurrency} cores, Linux ${kernel}, Bun ${Bun.version}.`,
  `Command: \`bun run bench${only.length ? " " + only.join(" ") : ""}\``,
].join("\n");

// Each benchmark's result is a block of its own, between markers naming it, with
// the run it came from: `--write` replaces only the blocks of the benchmarks run,
// so figures measured on different runs keep saying which run that was.
const blocks = new Map<string, string>();
for (const name of names) {
  console.error(`bench: ${name}…`);
  const mod = await import(`${here}${name}.ts`);
  let section: string;
  try {
    section = await mod.run();
  } catch (err) {
    section = `### ${name}\n\nfailed: ${(err as Error).message}\n`;
  }
  // The run's line goes under the section's title.
  const [title, ...rest] = section.trim().split("\n");
  blocks.set(name, [`<!-- bench:${name} -->`, title, "", runLine, rest.join("\n").trimEnd(), `<!-- /bench:${name} -->`].join("\n"));
}
console.log([...blocks.values()].join("\n\n"));

if (write) {
  const path = `${here}../../docs/PERFORMANCE.md`;
  await Bun.write(path, withBlocks(await Bun.file(path).text(), blocks));
  console.error(`bench: wrote ${path}`);
}

/** `doc` with each named block replaced, or added at the end of the results when new; the blocks stay sorted by name. */
function withBlocks(doc: string, fresh: Map<string, string>): string {
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/PERFORMANCE.md lacks the ${start}/${end} markers`);
  const kept = new Map<string, string>();
  for (const m of doc.slice(i, j).matchAll(/<!-- bench:([\w-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g)) kept.set(m[1]!, m[0]);
  for (const [name, block] of fresh) kept.set(name, block);
  const body = [...kept.keys()].sort().map((k) => kept.get(k)!).join("\n\n");
  return doc.slice(0, i + start.length) + "\n" + body + "\n" + doc.slice(j);
}
