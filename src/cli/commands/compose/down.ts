// `berth compose down`: the project's containers stopped and removed
// (dependants first), then its networks; its volumes only with -v, its
// images with --rmi, and containers of services no longer in the files only
// with --remove-orphans.
import type { Client } from "../../../client/client.ts";
import { ApiError } from "../../../client/client.ts";
import { ComposeError } from "../../../compose/errors.ts";
import { inDependencyOrder } from "../../../compose/graph.ts";
import type { Project } from "../../../compose/types.ts";
import type { ComposeContext, ComposeSubcommand } from "./command.ts";
import { removeContainer, stopContainer } from "./converge.ts";
import { imageName, label } from "./names.ts";
import { nameOf, progress, projectContainers, serviceOf, type ProjectContainer } from "./project-containers.ts";

/**
 * Stops and removes containers as compose's down does: service by service, dependants
 * first, a service's containers side by side, each with Stopping/Stopped (a stopped one
 * too) and then Removing/Removed before the next service's begin.
 */
export async function stopAndRemove(client: Client, p: Project | undefined, containers: ProjectContainer[], err: (s: string) => void, o: { timeout?: number; volumes?: boolean }): Promise<void> {
  const each = async (list: ProjectContainer[]) => {
    await Promise.all(list.map(async (c) => {
      await stopContainer(client, c, err, o.timeout, p);
      await removeContainer(client, c, err, o.volumes);
    }));
  };
  if (!p) return each(containers);
  const services = [...new Set(containers.map(serviceOf))];
  await inDependencyOrder(p.services, services, (s) => each(containers.filter((c) => serviceOf(c) === s)), true);
}

/** Containers of the project whose service is not in the model (or not enabled), as compose's --remove-orphans. */
export async function removeOrphans(c: ComposeContext, p: Project, err: (s: string) => void, timeout?: number): Promise<void> {
  const client = await c.client();
  const all = await projectContainers(client, p.name, { all: true, oneoff: true });
  const orphans = all.filter((x) => !p.services[serviceOf(x)]);
  if (orphans.length) await stopAndRemove(client, undefined, orphans, err, { timeout });
}

async function removeQuietly(client: Client, path: string, kind: string, name: string, err: (s: string) => void): Promise<void> {
  try {
    progress(err, kind, name, "Removing");
    await client.request("DELETE", path);
    progress(err, kind, name, "Removed");
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return;
    throw e;
  }
}

/** A network still holding containers (an orphan kept, another project's) stays, with compose's warning. */
async function removeNetwork(client: Client, name: string, err: (s: string) => void): Promise<void> {
  const path = `/networks/${encodeURIComponent(name)}`;
  const info = await client.json<{ Containers?: Record<string, unknown> }>("GET", path).catch((e) => {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  });
  if (!info) return;
  if (Object.keys(info.Containers ?? {}).length) {
    progress(err, "Network", name, "Removing");
    return progress(err, "Network", name, "Resource is still in use");
  }
  await removeQuietly(client, path, "Network", name, err);
}

export const downSubcommand: ComposeSubcommand = {
  name: "down",
  synopsis: "[OPTIONS] [SERVICES]",
  description: "Stop and remove containers, networks",
  flags: [
    { name: "volumes", short: "v", type: "bool", help: "Remove named volumes declared in the \"volumes\" section of the Compose file and anonymous volumes attached to containers" },
    { name: "rmi", type: "string", help: 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")' },
    { name: "remove-orphans", type: "bool", help: "Remove containers for services not defined in the Compose file" },
    { name: "timeout", short: "t", type: "number", help: "Specify a shutdown timeout in seconds" },
  ],
  async run(c, f, args) {
    if (f.rmi !== undefined && !["local", "all"].includes(f.rmi)) throw new ComposeError(`invalid value for --rmi: ${f.rmi}`);
    const client = await c.client();
    const err = (s: string) => c.ctx.err(s);
    let p: Project | undefined;
    let name: string;
    try {
      p = await c.load();
      name = p.name;
    } catch (e) {
      // Without its files a project is still known by its name and labels, as compose allows.
      const only = c.nameOnly();
      if (!only || !(e instanceof ComposeError) || !e.message.startsWith("no configuration file provided")) throw e;
      name = only;
    }
    const all = await projectContainers(client, name, { all: true, oneoff: true, services: args });
    const known = all.filter((x) => !p || p.services[serviceOf(x)] || p.disabled[serviceOf(x)]);
    const orphans = all.filter((x) => !known.includes(x));
    if (orphans.length && !f["remove-orphans"] && p) {
      c.ctx.err(`WARN[0000] Found orphan containers ([${orphans.map(nameOf).join(" ")}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`);
    }
    await stopAndRemove(client, p, f["remove-orphans"] || !p ? all : known, err, { timeout: f.timeout, volumes: f.volumes });
    if (args.length) return 0;
    // Networks: those of the model, or (without files) those labelled with the project.
    const networks = p
      ? Object.values(p.networks).filter((n) => !n.external).map((n) => n.name!)
      : (await client.json<{ Name: string }[]>("GET", "/networks", { query: { filters: JSON.stringify({ label: [`${label.project}=${name}`] }) } })).map((n) => n.Name);
    for (const n of networks) await removeNetwork(client, n, err);
    if (f.volumes) {
      const volumes = p
        ? Object.values(p.volumes).filter((v) => !v.external).map((v) => v.name!)
        : ((await client.json<{ Volumes: { Name: string }[] }>("GET", "/volumes", { query: { filters: JSON.stringify({ label: [`${label.project}=${name}`] }) } })).Volumes ?? []).map((v) => v.Name);
      for (const v of volumes) await removeQuietly(client, `/volumes/${encodeURIComponent(v)}`, "Volume", v, err);
    }
    if (f.rmi && p) {
      const images = Object.entries(p.services).filter(([, s]) => f.rmi === "all" || !s.image).map(([n, s]) => imageName(p!, n, s));
      for (const i of new Set(images)) await removeQuietly(client, `/images/${encodeURIComponent(i)}`, "Image", i, err);
    }
    return 0;
  },
};
