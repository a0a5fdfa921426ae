// start, stop, restart, kill, rm, ps, logs, wait, rename, inspect, container prune (run and create: run.ts).
import type { Command } from "../command.ts";
import { formatPorts } from "../format/ports.ts";
import { filterFlag, filtersJson, formatFlag, noTruncFlag, quietFlag } from "../command.ts";
import { ApiError } from "../../client/client.ts";
import { hijack } from "../../client/hijack.ts";
import { UsageError } from "../flags.ts";
import { detachKeysFlag, detachKeysOption, exitStatus, outputFeed, pumpStreams, resizer } from "./attach-stream.ts";
import { printJson, printRows, printDefaultTable, formatInspect, deletedList, goTimeString } from "../output.ts";
import { displayId, ellipsis } from "../format/ids.ts";
import { humanSizeWithPrecision, timeAgo } from "../../shared/units.ts";
import { OrderedWriter, stderr, stdout } from "../stdio.ts";
import { eachName } from "./each-name.ts";

export const startCommand: Command = {
  names: ["start", "container start"],
  synopsis: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Start one or more stopped containers",
  flags: [
    { name: "attach", short: "a", type: "bool", help: "Attach STDOUT/STDERR and forward signals" },
    { name: "interactive", short: "i", type: "bool", help: "Attach container's STDIN" },
    detachKeysFlag,
  ],
  minArgs: 1,
  async run(ctx, f, args) {
    const client = await ctx.client();
    if (!f.attach && !f.interactive) return eachName(ctx, args, (n) => client.request("POST", `/containers/${n}/start`).then(() => {}));
    const info = await client.json("GET", `/containers/${args[0]}/json`);
    const detach = await detachKeysOption(f["detach-keys"], ctx.globals.configDir);
    const attached = await hijack(client, `/containers/${info.Id}/attach`, { stream: true, stdin: f.interactive, stdout: true, stderr: true, detachKeys: detach.spec });
    const stopWaiting = new AbortController();
    const waitRes = client.request("POST", `/containers/${info.Id}/wait`, { query: { condition: "next-exit" }, signal: stopWaiting.signal });
    waitRes.catch(() => {}); // awaited below; a failure before then must not be unhandled
    const pumping = pumpStreams(attached.socket, attached.head, { tty: info.Config.Tty, stdin: f.interactive, resize: resizer(client, `/containers/${info.Id}/resize`), detachKeys: detach.keys });
    await client.request("POST", `/containers/${info.Id}/start`);
    if ((await pumping).detached) {
      stopWaiting.abort();
      return 0;
    }
    return exitStatus(await waitRes);
  },
};

export const stopCommand: Command = {
  names: ["stop", "container stop"],
  synopsis: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Stop one or more running containers",
  flags: [
    { name: "time", short: "t", type: "number", help: "Seconds to wait before killing the container" },
    { name: "signal", short: "s", type: "string", help: "Signal to send to the container" },
  ],
  minArgs: 1,
  async run(ctx, f, args) {
    const client = await ctx.client();
    return eachName(ctx, args, (n) => client.request("POST", `/containers/${n}/stop`, { query: { t: f.time, signal: f.signal } }).then(() => {}));
  },
};

export const restartCommand: Command = {
  names: ["restart", "container restart"],
  synopsis: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Restart one or more containers",
  flags: [{ name: "time", short: "t", type: "number", help: "Seconds to wait before killing the container" }],
  minArgs: 1,
  async run(ctx, f, args) {
    const client = await ctx.client();
    return eachName(ctx, args, (n) => client.request("POST", `/containers/${n}/restart`, { query: { t: f.time } }).then(() => {}));
  },
};

export const killCommand: Command = {
  names: ["kill", "container kill"],
  synopsis: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Kill one or more running containers",
  flags: [{ name: "signal", short: "s", type: "string", help: "Signal to send to the container" }],
  minArgs: 1,
  async run(ctx, f, args) {
    const client = await ctx.client();
    return eachName(ctx, args, (n) => client.request("POST", `/containers/${n}/kill`, { query: { signal: f.signal } }).then(() => {}));
  },
};

export const rmCommand: Command = {
  names: ["rm", "container rm", "container remove"],
  synopsis: "[OPTIONS] CONTAINER [CONTAINER...]",
  description: "Remove one or more containers",
  flags: [
    { name: "force", short: "f", type: "bool", help: "Force the removal of a running container (uses SIGKILL)" },
    { name: "volumes", short: "v", type: "bool", help: "Remove anonymous volumes associated with the container" },
  ],
  minArgs: 1,
  async run(ctx, f, args) {
    const client = await ctx.client();
    return eachName(ctx, args, (n) => client.request("DELETE", `/containers/${n}`, { query: { force: f.force, v: f.volumes } }).then(() => {}));
  },
};

export const waitCommand: Command = {
  names: ["wait", "container wait"],
  synopsis: "CONTAINER [CONTAINER...]",
  description: "Block until one or more containers stop, then print their exit codes",
  flags: [],
  minArgs: 1,
  async run(ctx, _f, args) {
    const client = await ctx.client();
    return eachName(ctx, args, async (n) => {
      const r = await client.json("POST", `/containers/${n}/wait`);
      ctx.out(String(r.StatusCode));
    }, false);
  },
};

export const renameCommand: Command = {
  names: ["rename", "container rename"],
  synopsis: "CONTAINER NEW_NAME",
  description: "Rename a container",
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, _f, [c, name]) {
    await (await ctx.client()).request("POST", `/containers/${c}/rename`, { query: { name } });
    return 0;
  },
};

export const logsCommand: Command = {
  names: ["logs", "container logs"],
  synopsis: "[OPTIONS] CONTAINER",
  description: "Fetch the logs of a container",
  flags: [
    { name: "follow", short: "f", type: "bool", help: "Follow log output" },
    { name: "tail", short: "n", type: "string", help: 'Number of lines to show from the end of the logs (default "all")' },
    { name: "timestamps", short: "t", type: "bool", help: "Show timestamps" },
    { name: "since", type: "string", help: "Show logs since timestamp or relative (e.g. 42m)" },
    { name: "until", type: "string", help: "Show logs before a timestamp or relative (e.g. 42m)" },
    { name: "details", type: "bool", help: "Show extra details provided to logs" },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, f, [name]) {
    const client = await ctx.client();
    const info = await client.json("GET", `/containers/${name}/json`);
    const res = await client.request("GET", `/containers/${name}/logs`, {
      query: { stdout: true, stderr: true, follow: f.follow, tail: f.tail, timestamps: f.timestamps, details: f.details, since: relTime(f.since), until: relTime(f.until) },
    });
    // Bun.write, not node:fs: printing the log does not load it (src/cli/stdio.ts OrderedWriter).
    const writer = new OrderedWriter();
    const feed = outputFeed(!!info.Config.Tty, writer);
    for await (const chunk of res.body!) {
      feed(chunk);
      await writer.ready();
    }
    return 0;
  },
};

/** "42m", "2h", "10s" → seconds since the epoch; timestamps pass through. */
function relTime(v?: string): string | undefined {
  if (!v) return undefined;
  const m = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(v);
  if (!m) return /^\d+(\.\d+)?$/.test(v) ? v : String(Date.parse(v) / 1000);
  const mult = { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
  return String(Date.now() / 1000 - Number(m[1]) * mult);
}

export const psCommand: Command = {
  names: ["ps", "container ls", "container list"],
  synopsis: "[OPTIONS]",
  description: "List containers",
  flags: [
    { name: "all", short: "a", type: "bool", help: "Show all containers (default shows just running)" },
    { name: "last", short: "n", type: "number", help: "Show n last created containers (includes all states)" },
    { name: "latest", short: "l", type: "bool", help: "Show the latest created container (includes all states)" },
    { name: "size", short: "s", type: "bool", help: "Display total file sizes" },
    filterFlag, formatFlag, noTruncFlag, quietFlag,
  ],
  maxArgs: 0,
  async run(ctx, f) {
    const limit = f.latest ? 1 : f.last;
    const list: any[] = await (await ctx.client()).json("GET", "/containers/json", {
      query: { all: f.all, limit, size: f.size, filters: filtersJson(f.filter) },
    });
    const rows = list.map((c) => {
      const cmd = String(c.Command ?? "");
      return {
        ID: displayId(c.Id, f["no-trunc"]),
        Image: f["no-trunc"] || !/^sha256:/.test(c.Image) ? c.Image : displayId(c.Image, false),
        Command: f["no-trunc"] ? JSON.stringify(cmd) : JSON.stringify(ellipsis(cmd, 20)),
        // Go's time.String() in local time, as docker's; computed only when a format shows it (local time wakes ICU's zone data).
        get CreatedAt() {
          return goTimeString(c.Created);
        },
        RunningFor: timeAgo(c.Created * 1000),
        Ports: formatPorts(c.Ports),
        State: c.State,
        Status: c.Status,
        Size: c.SizeRw !== undefined ? `${humanSizeWithPrecision(c.SizeRw, 3)} (virtual ${humanSizeWithPrecision(c.SizeRootFs, 3)})` : "",
        Names: (c.Names ?? []).map((n: string) => n.replace(/^\//, "")).join(","),
        Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(","),
        // A volume by its name, a bind by its host path, as docker's MOUNTS column.
        Mounts: (c.Mounts ?? []).map((m: any) => (f["no-trunc"] ? m.Name || m.Source : ellipsis(m.Name || m.Source, 15))).join(","),
        Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(","),
      };
    });
    if (f.quiet) {
      for (const r of rows) ctx.out(r.ID);
      return 0;
    }
    const headers = {
      ID: "CONTAINER ID", Image: "IMAGE", Command: "COMMAND", CreatedAt: "CREATED AT", RunningFor: "CREATED", Ports: "PORTS", State: "STATE", Status: "STATUS", Size: "SIZE", Names: "NAMES", Labels: "LABELS", Mounts: "MOUNTS", Networks: "NETWORKS",
    };
    const columns = ["ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names", ...(f.size ? ["Size"] : [])];
    if (!f.format) stdout.write(printDefaultTable(columns, rows, headers));
    else stdout.write(printRows(f.format, `table ${columns.map((c) => `{{.${c}}}`).join("\t")}`, rows, headers, "*formatter.ContainerContext"));
    return 0;
  },
};

export const inspectCommand: Command = {
  names: ["inspect", "container inspect"],
  synopsis: "[OPTIONS] NAME|ID [NAME|ID...]",
  description: "Return low-level information on berth objects",
  flags: [
    { ...formatFlag, short: "f" },
    { name: "type", type: "string", help: "Return JSON for specified type" },
    { name: "size", short: "s", type: "bool", help: "Display total file sizes if the type is container" },
  ],
  minArgs: 1,
  async run(ctx, f, args) {
    const client = await ctx.client();
    const results: unknown[] = [];
    let failed = false;
    if (f.type && !["image", "container"].includes(f.type)) throw new UsageError(`"${f.type}" is not a valid value for --type`);
    const kinds: ("container" | "image")[] = f.type === "image" ? ["image"] : f.type === "container" ? ["container"] : ["container", "image"];
    for (const name of args) {
      let found: unknown;
      for (const k of kinds) {
        try {
          found = await client.json("GET", k === "container" ? `/containers/${name}/json` : `/images/${name}/json`);
          break;
        } catch (e) {
          if (!(e instanceof ApiError) || e.status !== 404) throw e;
        }
      }
      if (found === undefined) {
        ctx.err(`Error: No such ${f.type === "image" ? "image" : f.type === "container" ? "container" : "object"}: ${name}`);
        failed = true;
      } else results.push(found);
    }
    if (f.format) for (const r of results) ctx.out(formatInspect(f.format, r).replace(/\n$/, ""));
    else stdout.write(printJson(results));
    return failed ? 1 : 0;
  },
};

/** Docker's confirmation prompt; true when the user agreed (or -f was given). */
export async function confirmed(force: boolean, warning: string): Promise<boolean> {
  if (force) return true;
  stdout.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = await new Promise<string>((r) => {
    process.stdin.once("data", (d) => r(String(d)));
    process.stdin.once("end", () => r(""));
  });
  process.stdin.pause();
  return /^y(es)?$/i.test(answer.trim());
}

export const containerPruneCommand: Command = {
  names: ["container prune"],
  synopsis: "[OPTIONS]",
  description: "Remove all stopped containers",
  flags: [{ name: "force", short: "f", type: "bool", help: "Do not prompt for confirmation" }, { name: "filter", type: "list", help: "Provide filter values" }],
  maxArgs: 0,
  async run(ctx, f) {
    if (!(await confirmed(f.force, "WARNING! This will remove all stopped containers."))) return 0;
    const r = await (await ctx.client()).json("POST", "/containers/prune", { query: { filters: filtersJson(f.filter) } });
    ctx.out(deletedList("Containers", r.ContainersDeleted ?? []));
    ctx.out(`Total reclaimed space: ${humanSizeWithPrecision(r.SpaceReclaimed ?? 0, 3)}`);
    return 0;
  },
};

