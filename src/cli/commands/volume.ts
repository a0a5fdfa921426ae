// volume create, ls, inspect, rm, prune.
import type { Command } from "../command.ts";
import { filtersJson, formatFlag, quietFlag } from "../command.ts";
import { UsageError } from "../flags.ts";
import { deletedList, printRows } from "../output.ts";
import { naturalCompare } from "../format/natural-order.ts";
import { inspectEach } from "./inspect-each.ts";
import { labelMap } from "./run-flags.ts";
import { humanSize, humanSizeWithPrecision } from "../../shared/units.ts";
import { stdout } from "../stdio.ts";
import { confirmed } from "./containers.ts";
import { eachName } from "./each-name.ts";

/** `k=v` options (repeatable) → an object; docker's message for a pair without "=". */
export function keyValues(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of list) {
    const i = o.indexOf("=");
    if (i < 1) throw new UsageError(`invalid argument "${o}" for "${flag}" flag: invalid key value pair format`);
    out[o.slice(0, i)] = o.slice(i + 1);
  }
  return out;
}

export const volumeCreateCommand: Command = {
  names: ["volume create"],
  synopsis: "[OPTIONS] [VOLUME]",
  description: "Create a volume",
  flags: [
    { name: "driver", short: "d", type: "string", default: "local", help: "Specify volume driver name" },
    { name: "label", type: "list", help: "Set metadata for a volume" },
    { name: "opt", short: "o", type: "list", help: "Set driver specific options" },
    { name: "name", type: "string", hidden: true, help: "Specify volume name" },
  ],
  maxArgs: 1,
  async run(ctx, f, args) {
    if (f.name && args[0] && f.name !== args[0]) throw new UsageError("conflicting options: either specify --name or provide positional arg, not both");
    const v = await (await ctx.client()).json("POST", "/volumes/create", {
      json: { Name: args[0] ?? f.name ?? "", Driver: f.driver, DriverOpts: keyValues(f.opt, "-o, --opt"), Labels: labelMap(f.label) },
    });
    ctx.out(v.Name);
    return 0;
  },
};

export const volumeLsCommand: Command = {
  names: ["volume ls", "volume list"],
  synopsis: "[OPTIONS]",
  description: "List volumes",
  flags: [{ name: "filter", short: "f", type: "list", valueName: "filter", help: "Provide filter values (e.g. \"dangling=true\")" }, formatFlag, { ...quietFlag, help: "Only display volume names" }],
  maxArgs: 0,
  async run(ctx, f) {
    const r = await (await ctx.client()).json("GET", "/volumes", { query: { filters: filtersJson(f.filter) } });
    const list: any[] = (r.Volumes ?? []).sort((a: any, b: any) => naturalCompare(a.Name, b.Name));
    if (f.quiet) {
      for (const v of list) ctx.out(v.Name);
      return 0;
    }
    const rows = list.map((v) => ({
      Name: v.Name, Driver: v.Driver, Scope: v.Scope, Mountpoint: v.Mountpoint,
      Labels: Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(","),
      Links: v.UsageData ? String(v.UsageData.RefCount) : "N/A", Size: v.UsageData ? humanSize(v.UsageData.Size) : "N/A",
    }));
    stdout.write(printRows(f.format, "table {{.Driver}}\t{{.Name}}", rows, {
      Name: "VOLUME NAME", Driver: "DRIVER", Scope: "SCOPE", Mountpoint: "MOUNTPOINT", Labels: "LABELS", Links: "LINKS", Size: "SIZE",
    }, "*formatter.volumeContext"));
    return 0;
  },
};

export const volumeInspectCommand: Command = {
  names: ["volume inspect"],
  synopsis: "[OPTIONS] VOLUME [VOLUME...]",
  description: "Display detailed information on one or more volumes",
  flags: [{ ...formatFlag, short: "f" }],
  minArgs: 1,
  run: (ctx, f, args) => inspectEach(ctx, f.format, args, (name) => `/volumes/${encodeURIComponent(name)}`),
};

export const volumeRmCommand: Command = {
  names: ["volume rm", "volume remove"],
  synopsis: "[OPTIONS] VOLUME [VOLUME...]",
  description: "Remove one or more volumes",
  flags: [{ name: "force", short: "f", type: "bool", help: "Force the removal of one or more volumes" }],
  minArgs: 1,
  async run(ctx, f, args) {
    const client = await ctx.client();
    return eachName(ctx, args, (name) => client.request("DELETE", `/volumes/${encodeURIComponent(name)}`, { query: { force: f.force } }).then(() => {}));
  },
};

export const volumePruneCommand: Command = {
  names: ["volume prune"],
  synopsis: "[OPTIONS]",
  description: "Remove unused local volumes",
  flags: [
    { name: "all", short: "a", type: "bool", help: "Remove all unused volumes, not just anonymous ones" },
    { name: "filter", type: "list", help: 'Provide filter values (e.g. "label=<label>")' },
    { name: "force", short: "f", type: "bool", help: "Do not prompt for confirmation" },
  ],
  maxArgs: 0,
  async run(ctx, f) {
    const warning = f.all
      ? "WARNING! This will remove all local volumes not used by at least one container."
      : "WARNING! This will remove anonymous local volumes not used by at least one container.";
    if (!(await confirmed(f.force, warning))) return 0;
    const filters = [...f.filter, ...(f.all ? ["all=true"] : [])];
    const r = await (await ctx.client()).json("POST", "/volumes/prune", { query: { filters: filtersJson(filters) } });
    ctx.out(deletedList("Volumes", r.VolumesDeleted ?? []));
    ctx.out(`Total reclaimed space: ${humanSizeWithPrecision(r.SpaceReclaimed ?? 0, 3)}`);
    return 0;
  },
};
