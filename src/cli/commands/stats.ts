// berth stats: docker's resource table, one shot (--no-stream) or refreshed.
import type { Command } from "../command.ts";
import { formatFlag } from "../command.ts";
import { printRows } from "../output.ts";
import { bytesSize } from "../../shared/units.ts";
import { jsonMessages } from "../../client/client.ts";
import { paced, stdout } from "../stdio.ts";

/** As the docker CLI: the usage less the page cache the kernel can drop (v1 total_inactive_file, v2 inactive_file). */
function usageWithoutCache(m: { usage?: number; stats?: Record<string, number> }): number {
  const usage = m.usage ?? 0;
  const v1 = m.stats?.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = m.stats?.inactive_file ?? 0;
  return v2 < usage ? usage - v2 : usage;
}

function row(s: any): Record<string, unknown> {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * (s.cpu_stats.online_cpus ?? 1) * 100 : 0;
  const usage = usageWithoutCache(s.memory_stats ?? {});
  const limit = s.memory_stats?.limit ?? 0;
  return {
    ID: String(s.id ?? "").slice(0, 12),
    Container: String(s.id ?? "").slice(0, 12),
    Name: String(s.name ?? "").replace(/^\//, ""),
    CPUPerc: `${cpu.toFixed(2)}%`,
    MemUsage: `${bytesSize(usage)} / ${bytesSize(limit)}`,
    MemPerc: `${limit ? ((usage / limit) * 100).toFixed(2) : "0.00"}%`,
    NetIO: "0B / 0B",
    BlockIO: "0B / 0B",
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

const headers = { ID: "CONTAINER ID", Container: "CONTAINER", Name: "NAME", CPUPerc: "CPU %", MemUsage: "MEM USAGE / LIMIT", MemPerc: "MEM %", NetIO: "NET I/O", BlockIO: "BLOCK I/O", PIDs: "PIDS" };
const tableFormat = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

export const statsCommand: Command = {
  names: ["stats", "container stats"],
  synopsis: "[OPTIONS] [CONTAINER...]",
  description: "Display a live stream of container(s) resource usage statistics",
  flags: [
    { name: "all", short: "a", type: "bool", help: "Show all containers (default shows just running)" },
    { name: "no-stream", type: "bool", help: "Disable streaming stats and only pull the first result" },
    { name: "no-trunc", type: "bool", help: "Do not truncate output" },
    formatFlag,
  ],
  async run(ctx, f, args) {
    const client = await ctx.client();
    const ids: string[] = args.length ? args : (await client.json("GET", "/containers/json", { query: { all: f.all } })).map((c: any) => c.Id);
    const once = async () => Promise.all(ids.map((id) => client.json("GET", `/containers/${id}/stats`, { query: { stream: "0" } })));
    if (f["no-stream"]) {
      stdout.write(printRows(f.format, tableFormat, (await once()).map(row), headers));
      return 0;
    }
    const latest = new Map<string, any>();
    const render = () => stdout.write("\x1b[2J\x1b[H" + printRows(f.format, tableFormat, ids.map((id) => latest.get(id)).filter(Boolean).map(row), headers));
    await Promise.all(ids.map(async (id) => {
      const res = await client.request("GET", `/containers/${id}/stats`, { query: { stream: "1" } });
      for await (const s of paced(jsonMessages(res))) {
        latest.set(id, s);
        render();
      }
    }));
    return 0;
  },
};
