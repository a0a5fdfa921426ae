// image prune, builder prune and system prune (stopped containers, unused networks,
// anonymous volumes with --volumes, images, then the build cache).
import type { Command } from "../command.ts";
import type { Context } from "../context.ts";
import { filtersJson } from "../command.ts";
import { humanSizeWithPrecision } from "../../shared/units.ts";
import { confirmed } from "./containers.ts";
import { deletedList } from "../output.ts";

async function pruneImages(ctx: Context, all: boolean, filter: string[]): Promise<{ lines: string[]; space: number }> {
  const filters = [...filter, ...(all ? ["dangling=false"] : [])];
  const r = await (await ctx.client()).json("POST", "/images/prune", { query: { filters: filtersJson(filters) } });
  const lines = (r.ImagesDeleted ?? []).map((i: { Untagged?: string; Deleted?: string }) => (i.Untagged ? `untagged: ${i.Untagged}` : `deleted: ${i.Deleted}`));
  return { lines, space: r.SpaceReclaimed ?? 0 };
}

export const imagePruneCommand: Command = {
  names: ["image prune"],
  synopsis: "[OPTIONS]",
  description: "Remove unused images",
  flags: [
    { name: "all", short: "a", type: "bool", help: "Remove all unused images, not just dangling ones" },
    { name: "force", short: "f", type: "bool", help: "Do not prompt for confirmation" },
    { name: "filter", type: "list", help: 'Provide filter values (e.g. "until=<timestamp>")' },
  ],
  maxArgs: 0,
  async run(ctx, f) {
    const warning = f.all
      ? "WARNING! This will remove all images without at least one container associated to them."
      : "WARNING! This will remove all dangling images.";
    if (!(await confirmed(f.force, warning))) return 0;
    const { lines, space } = await pruneImages(ctx, f.all, f.filter);
    ctx.out(deletedList("Images", lines));
    ctx.out(`Total reclaimed space: ${humanSizeWithPrecision(space, 3)}`);
    return 0;
  },
};

export const systemPruneCommand: Command = {
  names: ["system prune"],
  synopsis: "[OPTIONS]",
  description: "Remove unused data",
  flags: [
    { name: "all", short: "a", type: "bool", help: "Remove all unused images not just dangling ones" },
    { name: "force", short: "f", type: "bool", help: "Do not prompt for confirmation" },
    { name: "filter", type: "list", help: 'Provide filter values (e.g. "label=<key>=<value>")' },
    { name: "volumes", type: "bool", help: "Prune anonymous volumes" },
  ],
  maxArgs: 0,
  async run(ctx, f) {
    const volumeLine = f.volumes ? "\n  - all anonymous volumes not used by at least one container" : "";
    const warning = `WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container${volumeLine}\n  - all ${f.all ? "images without at least one container associated to them" : "dangling images"}\n  - unused build cache`;
    if (!(await confirmed(f.force, warning))) return 0;
    const client = await ctx.client();
    const containers = await client.json("POST", "/containers/prune", { query: { filters: filtersJson(f.filter) } });
    ctx.out(deletedList("Containers", containers.ContainersDeleted ?? []));
    // Networks no running container is on, after the containers, as docker's system prune does.
    const networks = await client.json("POST", "/networks/prune", { query: { filters: filtersJson(f.filter) } });
    ctx.out(deletedList("Networks", networks.NetworksDeleted ?? []));
    const volumes = f.volumes ? await client.json("POST", "/volumes/prune", { query: { filters: filtersJson(f.filter) } }) : {};
    ctx.out(deletedList("Volumes", volumes.VolumesDeleted ?? []));
    const images = await pruneImages(ctx, f.all, f.filter);
    ctx.out(deletedList("Images", images.lines));
    // The build cache goes too, as with docker's system prune.
    const cache = await client.json("POST", "/build/prune", { query: { all: f.all, filters: filtersJson(f.filter) } });
    if (cache.CachesDeleted?.length) ctx.out(`Deleted build cache objects:\n${cache.CachesDeleted.join("\n")}\n\n`);
    ctx.out(`Total reclaimed space: ${humanSizeWithPrecision((containers.SpaceReclaimed ?? 0) + (volumes.SpaceReclaimed ?? 0) + images.space + (cache.SpaceReclaimed ?? 0), 3)}`);
    return 0;
  },
};

export const builderPruneCommand: Command = {
  names: ["builder prune"],
  synopsis: "[OPTIONS]",
  description: "Remove build cache",
  flags: [
    { name: "all", short: "a", type: "bool", help: "Remove all unused build cache, not just dangling ones" },
    { name: "force", short: "f", type: "bool", help: "Do not prompt for confirmation" },
    { name: "filter", type: "list", help: 'Provide filter values (e.g. "until=24h")' },
  ],
  maxArgs: 0,
  async run(ctx, f) {
    if (!(await confirmed(f.force, "WARNING! This will remove all dangling build cache."))) return 0;
    const r = await (await ctx.client()).json("POST", "/build/prune", { query: { all: f.all, filters: filtersJson(f.filter) } });
    if (r.CachesDeleted?.length) ctx.out(`Deleted build cache objects:\n${r.CachesDeleted.join("\n")}\n`);
    ctx.out(`Total reclaimed space: ${humanSizeWithPrecision(r.SpaceReclaimed ?? 0, 3)}`);
    return 0;
  },
};
