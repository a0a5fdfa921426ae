// `bun run bench`: runs every benchmark in this folder (or those named on the
// command line) and prints one Markdown report; `--write` also replaces the
// results section of docs/PERFORMANCE.md with it.
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
const header = [
  `Run on ${new Date().toISOString().slice(0, 10)}: ${cpu}, ${navigator.hardwareConcurrency} cores, Linux ${kernel}, Bun ${Bun.version}.`,
  `Command: \`bun run bench${only.length ? " " + only.join(" ") : ""}\``,
  "",
].join("\n");

const sections: string[] = [];
for (const name of names) {
  console.error(`bench: ${name}…`);
  const mod = await import(`${here}${name}.ts`);
  try {
    sections.push(await mod.run());
  } catch (err) {
    sections.push(`### ${name}\n\nfailed: ${(err as Error).message}\n`);
  }
}
const report = header + "\n" + sections.join("\n");
console.log(report);

if (write) {
  const path = `${here}../../docs/PERFORMANCE.md`;
  const doc = await Bun.file(path).text();
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${path} lacks the ${start}/${end} markers`);
  await Bun.write(path, doc.slice(0, i + start.length) + "\n" + report + "\n" + doc.slice(j));
  console.error(`bench: wrote ${path}`);
}
