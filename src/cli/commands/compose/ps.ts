// `berth compose ps` and `logs`: the project's containers as compose lists
// them, and their output behind each container's name.
import { ComposeError } from "../../../compose/errors.ts";
import { ellipsis } from "../../format/ids.ts";
import { formatPorts } from "../../format/ports.ts";
import { printDefaultTable, printRows } from "../../output.ts";
import { timeAgo } from "../../../shared/units.ts";
import { stdout } from "../../stdio.ts";
import type { ComposeContext, ComposeSubcommand } from "./command.ts";
import { logPrinter } from "./log-printer.ts";
import { monitorProject } from "./monitor.ts";
import { logNameOf, nameOf, projectContainers, serviceOf, type ProjectContainer } from "./project-containers.ts";

/** The project's name: from the files, or -p / COMPOSE_PROJECT_NAME when there are none. */
export async function projectNameFor(c: ComposeContext): Promise<{ name: string; services?: string[] }> {
  try {
    const p = await c.load();
    return { name: p.name, services: Object.keys(p.services) };
  } catch (e) {
    const only = c.nameOnly();
    if (only && e instanceof ComposeError && e.message.startsWith("no configuration file provided")) return { name: only };
    throw e;
  }
}

const states = ["paused", "restarting", "removing", "running", "dead", "created", "exited"];

export const psSubcommand: ComposeSubcommand = {
  name: "ps",
  synopsis: "[OPTIONS] [SERVICE...]",
  description: "List containers",
  flags: [
    { name: "all", short: "a", type: "bool", help: "Show all stopped containers (including those created by the run command)" },
    { name: "quiet", short: "q", type: "bool", help: "Only display IDs" },
    { name: "services", type: "bool", help: "Display services" },
    { name: "format", type: "string", default: "table", help: "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template." },
    { name: "status", type: "list", valueName: "stringArray", help: "Filter services by status. Values: [paused | restarting | removing | running | dead | created | exited]" },
    { name: "filter", type: "string", help: "Filter services by a property (supported filters: status)." },
    { name: "no-trunc", type: "bool", help: "Don't truncate output" },
  ],
  async run(c, f, args) {
    const { name } = await projectNameFor(c);
    const status: string[] = [...f.status, ...(f.filter?.startsWith("status=") ? [f.filter.slice(7)] : [])];
    for (const s of status) if (!states.includes(s)) throw new ComposeError(`invalid filter: status=${s}`);
    let list = await projectContainers(await c.client(), name, { all: f.all || status.length > 0, oneoff: f.all, services: args });
    if (status.length) list = list.filter((x) => status.includes(x.State));
    if (f.quiet) return c.ctx.out(list.map((x) => `${x.Id}\n`).join("")), 0;
    if (f.services) return c.ctx.out([...new Set(list.map(serviceOf))].map((s) => `${s}\n`).join("")), 0;
    const rows = list.map((x: ProjectContainer) => ({
      ID: x.Id, Name: nameOf(x), Names: nameOf(x), Image: x.Image, Project: name, Service: serviceOf(x),
      Command: f["no-trunc"] ? JSON.stringify(x.Command) : JSON.stringify(ellipsis(x.Command, 20)),
      CreatedAt: new Date(x.Created * 1000).toISOString(), RunningFor: timeAgo(x.Created * 1000), State: x.State, Status: x.Status,
      Ports: formatPorts(x.Ports), Labels: Object.entries(x.Labels).map(([k, v]) => `${k}=${v}`).join(","),
      Publishers: x.Ports.map((pt) => ({ URL: pt.IP ?? "", TargetPort: pt.PrivatePort, PublishedPort: pt.PublicPort ?? 0, Protocol: pt.Type })),
    }));
    if (f.format === "json") return c.ctx.out(rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "")), 0;
    const headers = { Name: "NAME", Image: "IMAGE", Command: "COMMAND", Service: "SERVICE", RunningFor: "CREATED", Status: "STATUS", Ports: "PORTS", ID: "CONTAINER ID", State: "STATE", Project: "PROJECT" };
    const columns = ["Name", "Image", "Command", "Service", "RunningFor", "Status", "Ports"];
    if (f.format === "table") stdout.write(printDefaultTable(columns, rows, headers));
    else stdout.write(printRows(f.format, "", rows, headers, "*formatter.ContainerContext"));
    return 0;
  },
};

export const logsSubcommand: ComposeSubcommand = {
  name: "logs",
  synopsis: "[OPTIONS] [SERVICE...]",
  description: "View output from containers",
  flags: [
    { name: "follow", short: "f", type: "bool", help: "Follow log output" },
    { name: "tail", short: "n", type: "string", default: "all", help: "Number of lines to show from the end of the logs for each container" },
    { name: "timestamps", short: "t", type: "bool", help: "Show timestamps" },
    { name: "no-color", type: "bool", help: "Produce monochrome output" },
    { name: "no-log-prefix", type: "bool", help: "Don't print prefix in logs" },
    { name: "since", type: "string", help: "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)" },
    { name: "until", type: "string", help: "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)" },
    { name: "index", type: "number", help: "index of the container if service has multiple replicas" },
  ],
  async run(c, f, args) {
    const { name, services } = await projectNameFor(c);
    for (const a of args) if (services && !services.includes(a)) throw new ComposeError(`no such service: ${a}`);
    const client = await c.client();
    let list = await projectContainers(client, name, { all: true, services: args });
    if (f.index !== undefined) list = list.filter((x) => Number(x.Labels["com.docker.compose.container-number"]) === f.index);
    const printer = logPrinter(client, list.map(logNameOf), { colour: !f["no-color"] && !!stdout.isTTY, prefix: !f["no-log-prefix"] });
    const rel = (v?: string) => {
      const m = v && /^(\d+)(s|m|h)$/.exec(v);
      return m ? String(Math.floor(Date.now() / 1000) - Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s"]) : v;
    };
    const query = { follow: f.follow, tail: f.tail, timestamps: f.timestamps, since: rel(f.since), until: rel(f.until) };
    const pending = list.map((x) => printer.follow(x.Id, logNameOf(x), query));
    // -f, as compose's: each exit printed, a container that starts (again) followed from its start, and on
    // until every container that was running has exited for good. (compose 2.39+ also waits on the stopped
    // ones, so that it never ends while one is left stopped: docker/compose#8715, which #10181 had fixed.)
    if (f.follow) {
      const watched = args.length ? args : services ?? [];
      const live = list.filter((x) => ["running", "restarting", "paused"].includes(x.State) && (!watched.length || watched.includes(serviceOf(x))));
      pending.push(monitorProject(client, name, watched, live.map((x) => x.Id), (e) => {
        if (e.kind === "exited") return printer.status(e.name, `exited with code ${e.exitCode}${e.restarting ? " (restarting)" : ""}`);
        pending.push(client.json("GET", `/containers/${e.id}/json`).then((i) => printer.follow(e.id, e.name, { ...query, since: i.State.StartedAt })));
      }));
    }
    while (pending.length) await Promise.all(pending.splice(0));
    return 0;
  },
};
