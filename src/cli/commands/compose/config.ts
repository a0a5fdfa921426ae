// `berth compose config`: the resolved model as YAML (or JSON), or only the
// service, volume, network, image or profile names; --quiet only validates.
import { writeFileSync } from "node:fs";
import type { Project, Service } from "../../../compose/types.ts";
import type { ComposeSubcommand } from "./command.ts";

function sorted<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]!]));
}

/** The model compose prints: name, then the sections that have entries. */
export function printableModel(p: Project): Record<string, unknown> {
  const services: Record<string, Service> = {};
  for (const [n, s] of Object.entries(sorted(p.services))) services[n] = sorted(s as Record<string, unknown>) as Service;
  const out: Record<string, unknown> = { name: p.name, services };
  for (const section of ["networks", "volumes", "secrets", "configs"] as const) if (Object.keys(p[section]).length) out[section] = sorted(p[section]);
  return out;
}

export const configSubcommand: ComposeSubcommand = {
  name: "config",
  aliases: ["convert"],
  synopsis: "[OPTIONS] [SERVICE...]",
  description: "Parse, resolve and render compose file in canonical format",
  flags: [
    { name: "format", type: "string", default: "yaml", help: 'Format the output. Values: [yaml | json]' },
    { name: "quiet", short: "q", type: "bool", help: "Only validate the configuration, don't print anything" },
    { name: "services", type: "bool", help: "Print the service names, one per line" },
    { name: "volumes", type: "bool", help: "Print the volume names, one per line" },
    { name: "networks", type: "bool", help: "Print the network names, one per line" },
    { name: "profiles", type: "bool", help: "Print the profile names, one per line" },
    { name: "images", type: "bool", help: "Print the image names, one per line" },
    { name: "hash", type: "string", help: 'Print the service config hash, one per line ("*" for all)' },
    { name: "output", short: "o", type: "string", help: "Save to file (default to stdout)" },
  ],
  async run(c, f, args) {
    const p = await c.load(args);
    if (args.length) for (const n of Object.keys(p.services)) if (!args.includes(n)) delete p.services[n];
    for (const a of args) if (!p.services[a]) throw new Error(`no such service: ${a}`);
    if (f.quiet) return 0;
    const lines = (xs: string[]) => c.ctx.out(xs.map((x) => `${x}\n`).join(""));
    if (f.services) return lines(Object.keys(p.services).sort()), 0;
    if (f.volumes) return lines(Object.keys(p.volumes).sort()), 0;
    if (f.networks) return lines(Object.keys(p.networks).sort()), 0;
    if (f.profiles) return lines([...new Set([...Object.values(p.services), ...Object.values(p.disabled)].flatMap((s) => s.profiles ?? []))].sort()), 0;
    if (f.images) {
      const { imageName } = await import("./names.ts");
      return lines(Object.entries(p.services).map(([n, s]) => imageName(p, n, s))), 0;
    }
    if (f.hash !== undefined) {
      const { serviceHash } = await import("../../../compose/hash.ts");
      const names = f.hash === "*" ? Object.keys(p.services) : String(f.hash).split(",");
      return lines(names.map((n) => `${n} ${serviceHash(p.services[n]!)}`)), 0;
    }
    const model = printableModel(p);
    let text: string;
    if (f.format === "json") text = JSON.stringify(model, null, 2) + "\n";
    else if (f.format === "yaml") text = Bun.YAML.stringify(model, null, 2) + "\n";
    else throw new Error(`unsupported format "${f.format}"`);
    if (f.output) writeFileSync(f.output, text);
    else c.ctx.out(text);
    return 0;
  },
};
