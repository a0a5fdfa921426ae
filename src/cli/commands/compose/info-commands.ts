// top, port, cp, events, ls and version: what a project's containers do and
// where they listen, files in and out of them, their events, and the
// projects there are.
import { ComposeError } from "../../../compose/errors.ts";
import { jsonMessages } from "../../../client/client.ts";
import { printDefaultTable } from "../../output.ts";
import { paced, stdout } from "../../stdio.ts";
import { cpCommand } from "../cp.ts";
import { topCommand } from "../inspect-more.ts";
import type { ComposeContext, ComposeSubcommand } from "./command.ts";
import { delegate } from "./delegate.ts";
import { composeVersion, label } from "./names.ts";
import { nameOf, numberOf, projectContainers, type ProjectContainer } from "./project-containers.ts";
import { projectNameFor } from "./ps.ts";

async function serviceContainer(c: ComposeContext, service: string, index = 1, all = false): Promise<ProjectContainer> {
  const { name, services } = await projectNameFor(c);
  if (services && !services.includes(service)) throw new ComposeError(`no such service: ${service}`);
  const ct = (await projectContainers(await c.client(), name, { all, services: [service] })).find((x) => numberOf(x) === index);
  if (!ct) throw new ComposeError(`service "${service}" is not running container #${index}`);
  return ct;
}

export const infoSubcommands: ComposeSubcommand[] = [
  {
    name: "top", synopsis: "[SERVICES...]", description: "Display the running processes", flags: [],
    async run(c, _f, args) {
      const { name } = await projectNameFor(c);
      for (const ct of await projectContainers(await c.client(), name, { all: false, services: args })) {
        c.ctx.out(nameOf(ct));
        await delegate(c, topCommand, [ct.Id]);
        c.ctx.out("");
      }
      return 0;
    },
  },
  {
    name: "port", synopsis: "[OPTIONS] SERVICE PRIVATE_PORT", description: "Print the public port for a port binding",
    flags: [
      { name: "protocol", type: "string", default: "tcp", help: "tcp or udp" },
      { name: "index", type: "number", default: 1, help: "Index of the container if service has multiple replicas" },
    ],
    async run(c, f, args) {
      if (args.length !== 2) throw new ComposeError(`requires exactly 2 arg(s), only received ${args.length}`);
      const ct = await serviceContainer(c, args[0]!, f.index);
      const port = ct.Ports.find((x) => String(x.PrivatePort) === args[1] && x.Type === f.protocol && x.PublicPort);
      if (!port) throw new ComposeError(`no port ${args[1]}/${f.protocol} for container ${nameOf(ct)}: []`);
      c.ctx.out(`${port.IP || "0.0.0.0"}:${port.PublicPort}`);
      return 0;
    },
  },
  {
    name: "cp", synopsis: "[OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n\tberth compose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH", description: "Copy files/folders between a service container and the local filesystem",
    flags: [
      { name: "index", type: "number", default: 1, help: "Index of the container if service has multiple replicas" },
      { name: "archive", short: "a", type: "bool", help: "Archive mode (copy all uid/gid information)" },
    ],
    async run(c, f, args) {
      if (args.length !== 2) throw new ComposeError(`requires exactly 2 arg(s), only received ${args.length}`);
      const mapped = [];
      for (const a of args) {
        const m = /^([^:/]+):(.*)$/.exec(a);
        mapped.push(m ? `${nameOf(await serviceContainer(c, m[1]!, f.index, true))}:${m[2]}` : a);
      }
      return delegate(c, cpCommand, [...(f.archive ? ["-a"] : []), ...mapped]);
    },
  },
  {
    name: "events", synopsis: "[OPTIONS] [SERVICE...]", description: "Receive real time events from containers",
    flags: [{ name: "json", type: "bool", help: "Output events as a stream of json objects" }, { name: "since", type: "string", help: "Show all events created since timestamp" }, { name: "until", type: "string", help: "Stream events until this timestamp" }],
    async run(c, f, args) {
      const { name } = await projectNameFor(c);
      const filters = { type: ["container"], label: [`${label.project}=${name}`] };
      const res = await (await c.client()).request("GET", "/events", { query: { filters: JSON.stringify(filters), since: f.since, until: f.until } });
      for await (const e of paced(jsonMessages(res))) {
        const attrs: Record<string, string> = e.Actor?.Attributes ?? {};
        const service = attrs[label.service] ?? "";
        if (args.length && !args.includes(service)) continue;
        const time = new Date(Math.floor((e.timeNano ?? e.time * 1e9) / 1e6));
        if (f.json) {
          stdout.write(JSON.stringify({ time: time.toISOString(), type: "container", action: e.Action, id: e.Actor?.ID, service, attributes: attrs }) + "\n");
        } else {
          const shown = Object.entries(attrs).filter(([k]) => !k.startsWith("com.docker.compose.")).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(", ");
          stdout.write(`${time.toISOString().replace("T", " ").replace("Z", "")} container ${e.Action} ${e.Actor?.ID} (${shown})\n`);
        }
      }
      return 0;
    },
  },
  {
    name: "ls", synopsis: "[OPTIONS]", description: "List running compose projects",
    flags: [
      { name: "all", short: "a", type: "bool", help: "Show all stopped Compose projects" },
      { name: "quiet", short: "q", type: "bool", help: "Only display project names" },
      { name: "format", type: "string", default: "table", help: "Format the output. Values: [table | json]" },
      { name: "filter", type: "list", valueName: "filter", help: "Filter output based on conditions provided" },
    ],
    async run(c, f) {
      const list = await (await c.client()).json<ProjectContainer[]>("GET", "/containers/json", { query: { all: true, filters: JSON.stringify({ label: [label.project] }) } });
      const projects = new Map<string, { states: Map<string, number>; files: string }>();
      for (const ct of list) {
        const name = ct.Labels[label.project]!;
        const p = projects.get(name) ?? { states: new Map(), files: ct.Labels[label.configFiles] ?? "" };
        p.states.set(ct.State, (p.states.get(ct.State) ?? 0) + 1);
        projects.set(name, p);
      }
      const nameFilter = (f.filter as string[]).find((x) => x.startsWith("name="))?.slice(5);
      const rows = [...projects].filter(([, p]) => f.all || p.states.has("running")).filter(([n]) => !nameFilter || n.includes(nameFilter)).sort(([a], [b]) => a.localeCompare(b))
        .map(([Name, p]) => ({ Name, Status: [...p.states].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}(${n})`).join(", "), ConfigFiles: p.files }));
      if (f.quiet) return c.ctx.out(rows.map((r) => `${r.Name}\n`).join("")), 0;
      if (f.format === "json") return c.ctx.out(JSON.stringify(rows)), 0;
      stdout.write(printDefaultTable(["Name", "Status", "ConfigFiles"], rows, { Name: "NAME", Status: "STATUS", ConfigFiles: "CONFIG FILES" }));
      return 0;
    },
  },
  {
    name: "version", synopsis: "[OPTIONS]", description: "Show the Docker Compose version information",
    flags: [{ name: "short", type: "bool", help: "Shows only Compose's version number" }, { name: "format", short: "f", type: "string", help: "Format the output. Values: [pretty | json]" }],
    async run(c, f) {
      // The compose release whose behaviour berth follows, in compose's words: scripts check it before using a flag.
      if (f.short) c.ctx.out(composeVersion);
      else if (f.format === "json") c.ctx.out(JSON.stringify({ version: `v${composeVersion}` }));
      else c.ctx.out(`Docker Compose version v${composeVersion}`);
      return 0;
    },
  },
];

