// daemon, events, system df.
import type { Command } from "../command.ts";
import { filtersJson, formatFlag } from "../command.ts";
import { formatOne } from "../output.ts";
import { jsonMessages } from "../../client/client.ts";
import { configFromFlags } from "../../shared/daemon-config.ts";
import { humanSize } from "../../shared/units.ts";
import { timestampSeconds } from "../../shared/timestamp.ts";
import { printRows } from "../output.ts";
import { paced, stdout } from "../stdio.ts";
import { diskUsageVerbose } from "./df-verbose.ts";

export const daemonCommand: Command = {
  names: ["daemon"],
  synopsis: "[OPTIONS]",
  description: "Run the berth daemon (serves the Docker Engine API)",
  flags: [
    { name: "data-root", type: "string", help: "Root directory of persistent state (default /var/lib/berth)" },
    { name: "exec-root", type: "string", help: "Root directory for execution state files (default /run/berth)" },
    { name: "host", short: "H", type: "list", help: "Daemon socket(s) to listen on" },
    { name: "pidfile", short: "p", type: "string", help: "Path to use for the daemon PID file" },
    { name: "group", short: "G", type: "string", help: "Group for the unix socket (default \"docker\")" },
    { name: "config-file", type: "string", help: "Daemon configuration file (default /etc/berth/daemon.json)" },
    { name: "tls", type: "bool", help: "Use TLS; --tls=false allows plain TCP beyond loopback" },
    { name: "tlsverify", type: "bool", help: "Use TLS and verify clients" },
    { name: "tlscacert", type: "string", help: "Trust certs signed only by this CA" },
    { name: "tlscert", type: "string", help: "Path to TLS certificate file" },
    { name: "tlskey", type: "string", help: "Path to TLS key file" },
    { name: "insecure-registry", type: "list", help: "Enable insecure registry communication" },
    { name: "registry-mirror", type: "list", help: "Preferred registry mirror" },
    { name: "max-concurrent-downloads", type: "number", default: 3, help: "Set the max concurrent downloads" },
    { name: "max-concurrent-uploads", type: "number", default: 5, help: "Set the max concurrent uploads" },
    { name: "layer-engine", type: "string", default: "native", help: 'Layer extraction and hashing ("native"|"wasm")' },
    { name: "log-level", short: "l", type: "string", help: 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal")', default: "info" },
    { name: "debug", short: "D", type: "bool", help: "Enable debug mode" },
    { name: "cgroup-parent", type: "string", help: "Set parent cgroup for all containers (default berth)" },
    { name: "bridge", short: "b", type: "string", help: 'Attach containers to a network bridge ("none" turns the default bridge off)' },
    { name: "dns", type: "list", help: "DNS server to use" },
    { name: "iptables", type: "bool", default: true, help: "Enable addition of nf_tables rules (outbound NAT, DNAT of published ports)" },
    { name: "host-gateway-ip", type: "string", help: "IP address that the special 'host-gateway' string in --add-host resolves to (default: the default bridge's gateway)" },
    { name: "seccomp-profile", type: "string", help: 'Path to seccomp profile. Use "unconfined" to disable the default seccomp profile (default "builtin")' },
    { name: "no-new-privileges", type: "bool", help: "Set no-new-privileges by default for new containers" },
    { name: "userns-remap", type: "string", help: "User/Group setting for user namespaces (\"default\" makes and uses berth-remap)" },
    { name: "oom-score-adjust", type: "number", default: -500, help: "Set the oom_score_adj for the daemon" },
    { name: "default-ipc-mode", type: "string", default: "private", help: 'Default mode for containers ipc ("shareable" | "private")' },
  ],
  maxArgs: 0,
  async run(_ctx, f, _args, given) {
    const cfg = configFromFlags(f, given);
    const { startDaemon } = await import("../../server/start.ts");
    await startDaemon(cfg);
    await new Promise(() => {}); // serve until a signal ends the process
    return 0;
  },
};

/** docker's --since/--until: a Unix time, an RFC 3339 date, or a Go duration before now ("10m", "1h30m"). */
export function eventTime(v: string | undefined, now = Date.now()): string | undefined {
  if (v === undefined || v === "") return undefined;
  // A Unix time goes as given; the rest as seconds with nanoseconds, as the docker CLI sends them.
  return /^\d+(\.\d+)?$/.test(v) ? v : timestampSeconds(v, now).toFixed(9);
}

export const eventsCommand: Command = {
  names: ["events", "system events"],
  synopsis: "[OPTIONS]",
  description: "Get real time events from the server",
  flags: [
    { name: "since", type: "string", help: "Show all events created since timestamp" },
    { name: "until", type: "string", help: "Stream events until this timestamp" },
    { name: "filter", short: "f", type: "list", help: "Filter output based on conditions provided" },
    formatFlag,
  ],
  maxArgs: 0,
  async run(ctx, f) {
    const res = await (await ctx.client()).request("GET", "/events", {
      query: { since: eventTime(f.since), until: eventTime(f.until), filters: filtersJson(f.filter) },
    });
    for await (const e of paced(jsonMessages(res))) {
      if (f.format) ctx.out(formatOne(f.format, e));
      else {
        const attrs = Object.entries(e.Actor?.Attributes ?? {}).map(([k, v]) => `${k}=${v}`).sort().join(", ");
        const t = new Date(Math.floor(e.timeNano / 1e6)).toISOString().replace("Z", "") + String(e.timeNano % 1e6).padStart(6, "0") + "Z";
        ctx.out(`${t} ${e.Type} ${e.Action} ${e.Actor?.ID ?? ""}${attrs ? ` (${attrs})` : ""}`);
      }
    }
    return 0;
  },
};

/** The "Local Volumes" line: active ones are in use by a container; the rest is reclaimable. */
function volumeRow(volumes: any[]): Record<string, string> {
  const size = volumes.reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const idle = volumes.filter((v) => !v.UsageData?.RefCount).reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const active = volumes.filter((v) => v.UsageData?.RefCount > 0).length;
  return { Type: "Local Volumes", TotalCount: String(volumes.length), Active: String(active), Size: humanSize(size), Reclaimable: humanSize(idle) + (size ? ` (${Math.floor((idle / size) * 100)}%)` : "") };
}

export const dfCommand: Command = {
  names: ["system df"],
  synopsis: "[OPTIONS]",
  description: "Show berth disk usage",
  flags: [formatFlag, { name: "verbose", short: "v", type: "bool", help: "Show detailed information on space usage" }],
  maxArgs: 0,
  async run(ctx, f) {
    const df = await (await ctx.client()).json("GET", "/system/df");
    if (f.verbose && !f.format) {
      stdout.write(diskUsageVerbose(df));
      return 0;
    }
    const images: any[] = df.Images ?? [];
    const containers: any[] = df.Containers ?? [];
    const activeImages = images.filter((i) => i.Containers > 0);
    // As the docker CLI: the layers' size, each layer once; what in-use images hold alone is not reclaimable.
    const imageSize: number = df.LayersSize ?? images.reduce((n, i) => n + i.Size, 0);
    const reclaimImages = imageSize - activeImages.reduce((n, i) => n + i.Size - (i.SharedSize ?? 0), 0);
    const ctrSize = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
    const reclaimCtr = containers.filter((c) => c.State !== "running").reduce((n, c) => n + (c.SizeRw ?? 0), 0);
    const pct = (part: number, whole: number) => (whole ? ` (${Math.floor((part / whole) * 100)}%)` : "");
    const rows = [
      { Type: "Images", TotalCount: String(images.length), Active: String(activeImages.length), Size: humanSize(imageSize), Reclaimable: humanSize(reclaimImages) + pct(reclaimImages, imageSize) },
      { Type: "Containers", TotalCount: String(containers.length), Active: String(containers.filter((c) => c.State === "running").length), Size: humanSize(ctrSize), Reclaimable: humanSize(reclaimCtr) + pct(reclaimCtr, ctrSize) },
      volumeRow(df.Volumes ?? []),
      buildCacheRow(df.BuildCache ?? []),
    ];
    stdout.write(printRows(f.format, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", rows, {
      Type: "TYPE", TotalCount: "TOTAL", Active: "ACTIVE", Size: "SIZE", Reclaimable: "RECLAIMABLE",
    }, "*formatter.diskUsageImagesContext"));
    return 0;
  },
};

/** docker's Build Cache line: what is not in use and not shared with an image is reclaimable. */
function buildCacheRow(cache: { InUse?: boolean; Shared?: boolean; Size?: number }[]): Record<string, string> {
  const size = cache.reduce((n, b) => n + (b.Size ?? 0), 0);
  const reclaimable = cache.filter((b) => !b.InUse && !b.Shared).reduce((n, b) => n + (b.Size ?? 0), 0);
  return { Type: "Build Cache", TotalCount: String(cache.length), Active: String(cache.filter((b) => b.InUse).length), Size: humanSize(size), Reclaimable: humanSize(reclaimable) };
}
