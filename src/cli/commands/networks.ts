// network create, ls, inspect, rm, prune, connect, disconnect.
import type { Command } from "../command.ts";
import { filterFlag, filtersJson, formatFlag, noTruncFlag, quietFlag } from "../command.ts";
import { ApiError } from "../../client/client.ts";
import { printRows } from "../output.ts";
import { inspectEach } from "./inspect-each.ts";
import { UsageError } from "../flags.ts";
import { stdout } from "../stdio.ts";
import { confirmed } from "./containers.ts";
import { eachName } from "./each-name.ts";
import { ipList } from "./run-network-flags.ts";

/** `k=v` list → object, docker's wording for a missing "=". */
function keyValues(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of list) {
    const i = o.indexOf("=");
    if (i < 1 && flag !== "label") throw new UsageError(`invalid argument "${o}" for "${flag}" flag: invalid key value pair format`);
    if (i < 0) out[o] = "";
    else out[o.slice(0, i)] = o.slice(i + 1);
  }
  return out;
}

export const networkCreateCommand: Command = {
  names: ["network create"],
  synopsis: "[OPTIONS] NETWORK",
  description: "Create a network",
  flags: [
    { name: "driver", short: "d", type: "string", help: "Driver to manage the Network (default \"bridge\")" },
    { name: "subnet", type: "list", help: "Subnet in CIDR format that represents a network segment" },
    { name: "gateway", type: "list", help: "IPv4 or IPv6 Gateway for the master subnet" },
    { name: "ip-range", type: "list", help: "Allocate container ip from a sub-range" },
    { name: "internal", type: "bool", help: "Restrict external access to the network" },
    { name: "attachable", type: "bool", help: "Enable manual container attachment" },
    { name: "ipv6", type: "bool", help: "Enable IPv6 networking" },
    { name: "label", type: "list", help: "Set metadata on a network" },
    { name: "opt", short: "o", type: "list", help: "Set driver specific options" },
    { name: "ipam-driver", type: "string", help: "IP Address Management Driver (default \"default\")" },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, f, args) {
    const subnets: string[] = f.subnet;
    if (f.gateway.length > subnets.length || f["ip-range"].length > subnets.length) {
      throw new Error("every ip-range or gateway must have a corresponding subnet");
    }
    // Gateways and ranges go with the subnet that holds them, as the docker CLI pairs them.
    const config = subnets.map((s, i) => ({ Subnet: s, Gateway: f.gateway[i] || undefined, IPRange: f["ip-range"][i] || undefined }));
    const r = await (await ctx.client()).json("POST", "/networks/create", {
      json: {
        Name: args[0], Driver: f.driver || "bridge", Internal: f.internal, Attachable: f.attachable, EnableIPv6: f.ipv6,
        IPAM: { Driver: f["ipam-driver"] || "default", Config: config, Options: {} },
        Options: keyValues(f.opt, "--opt"), Labels: keyValues(f.label, "label"),
      },
    });
    ctx.out(r.Id);
    return 0;
  },
};

export const networkLsCommand: Command = {
  names: ["network ls", "network list"],
  synopsis: "[OPTIONS]",
  description: "List networks",
  flags: [filterFlag, formatFlag, noTruncFlag, quietFlag],
  maxArgs: 0,
  async run(ctx, f) {
    const list: any[] = await (await ctx.client()).json("GET", "/networks", { query: { filters: filtersJson(f.filter) } });
    list.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    const rows = list.map((n) => ({
      ID: f["no-trunc"] ? n.Id : n.Id.slice(0, 12), Name: n.Name, Driver: n.Driver, Scope: n.Scope,
      IPv6: String(n.EnableIPv6), Internal: String(n.Internal), CreatedAt: n.Created,
      Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(","),
    }));
    if (f.quiet) {
      for (const r of rows) ctx.out(r.ID);
      return 0;
    }
    stdout.write(printRows(f.format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", rows, {
      ID: "NETWORK ID", Name: "NAME", Driver: "DRIVER", Scope: "SCOPE", IPv6: "IPV6", Internal: "INTERNAL", CreatedAt: "CREATED", Labels: "LABELS",
    }, "*formatter.networkContext"));
    return 0;
  },
};

export const networkInspectCommand: Command = {
  names: ["network inspect"],
  synopsis: "[OPTIONS] NETWORK [NETWORK...]",
  description: "Display detailed information on one or more networks",
  flags: [{ ...formatFlag, short: "f" }, { name: "verbose", short: "v", type: "bool", help: "Verbose output for diagnostics" }],
  minArgs: 1,
  run: (ctx, f, args) => inspectEach(ctx, f.format, args, (name) => `/networks/${encodeURIComponent(name)}`),
};

export const networkRmCommand: Command = {
  names: ["network rm", "network remove"],
  synopsis: "NETWORK [NETWORK...]",
  description: "Remove one or more networks",
  flags: [{ name: "force", short: "f", type: "bool", help: "Do not error if the network does not exist" }],
  minArgs: 1,
  async run(ctx, f, args) {
    const client = await ctx.client();
    return eachName(ctx, args, async (name) => {
      try {
        await client.request("DELETE", `/networks/${encodeURIComponent(name)}`);
      } catch (e) {
        if (f.force && e instanceof ApiError && e.status === 404) return "skip";
        throw e;
      }
    });
  },
};

export const networkPruneCommand: Command = {
  names: ["network prune"],
  synopsis: "[OPTIONS]",
  description: "Remove all unused networks",
  flags: [
    { name: "force", short: "f", type: "bool", help: "Do not prompt for confirmation" },
    { name: "filter", type: "list", help: 'Provide filter values (e.g. "until=<timestamp>")' },
  ],
  maxArgs: 0,
  async run(ctx, f) {
    if (!(await confirmed(f.force, "WARNING! This will remove all custom networks not used by at least one container."))) return 0;
    const r = await (await ctx.client()).json("POST", "/networks/prune", { query: { filters: filtersJson(f.filter) } });
    if (r.NetworksDeleted?.length) ctx.out(`Deleted Networks:\n${r.NetworksDeleted.join("\n")}\n`);
    return 0;
  },
};

export const networkConnectCommand: Command = {
  names: ["network connect"],
  synopsis: "[OPTIONS] NETWORK CONTAINER",
  description: "Connect a container to a network",
  flags: [
    { name: "alias", type: "list", help: "Add network-scoped alias for the container" },
    { name: "ip", type: "string", help: "IPv4 address (e.g., \"172.30.100.104\")" },
    { name: "ip6", type: "string", help: "IPv6 address (e.g., \"2001:db8::33\")" },
    { name: "link", type: "list", help: "Add link to another container" },
    { name: "link-local-ip", type: "list", valueName: "strings", help: "Add a link-local address for the container" },
    { name: "driver-opt", type: "list", valueName: "strings", help: "driver options for the network" },
    { name: "gw-priority", type: "number", help: "Highest gw-priority provides the default gateway. Accepts positive and negative values." },
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, f, args) {
    const linkLocal = ipList("link-local-ip", f["link-local-ip"]);
    const ipam = f.ip || f.ip6 || linkLocal.length ? { IPv4Address: f.ip || undefined, IPv6Address: f.ip6 || undefined, LinkLocalIPs: linkLocal.length ? linkLocal : undefined } : undefined;
    const endpoint = {
      Aliases: f.alias.length ? f.alias : undefined,
      IPAMConfig: ipam,
      Links: f.link.length ? f.link : undefined,
      DriverOpts: f["driver-opt"].length ? connectDriverOpts(f["driver-opt"]) : undefined,
      GwPriority: f["gw-priority"] || undefined,
    };
    await (await ctx.client()).request("POST", `/networks/${encodeURIComponent(args[0]!)}/connect`, { json: { Container: args[1], EndpointConfig: endpoint } });
    return 0;
  },
};

/** connect's --driver-opt k=v (keys and values trimmed), with the docker CLI's words for a pair without "=". */
function connectDriverOpts(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of list) {
    const i = o.indexOf("=");
    if (i < 0 || !o.slice(0, i).trim()) throw new Error("invalid key/value pair format in driver options");
    out[o.slice(0, i).trim()] = o.slice(i + 1).trim();
  }
  return out;
}

export const networkDisconnectCommand: Command = {
  names: ["network disconnect"],
  synopsis: "[OPTIONS] NETWORK CONTAINER",
  description: "Disconnect a container from a network",
  flags: [{ name: "force", short: "f", type: "bool", help: "Force the container to disconnect from a network" }],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, f, args) {
    await (await ctx.client()).request("POST", `/networks/${encodeURIComponent(args[0]!)}/disconnect`, { json: { Container: args[1], Force: f.force } });
    return 0;
  },
};

export const networkCommands: Command[] = [
  networkConnectCommand, networkCreateCommand, networkDisconnectCommand, networkInspectCommand, networkLsCommand, networkPruneCommand, networkRmCommand,
];
