// version, info, daemon, events.
import { hostname } from "node:os";
import type { Command } from "../command.ts";
import { filtersJson, formatFlag } from "../command.ts";
import { apiVersion, version, gitCommit, buildTime } from "../../version.ts";
import { formatOne } from "../output.ts";
import { jsonMessages } from "../../client/client.ts";
import { defaultConfig, mergeConfigFile, type DaemonConfig } from "../../daemon/config.ts";
import { humanSize } from "../format/units.ts";
import { printRows } from "../output.ts";

const arch = process.arch === "x64" ? "amd64" : process.arch;

function clientVersion() {
  return { Platform: { Name: "berth" }, Version: version, ApiVersion: apiVersion, DefaultAPIVersion: apiVersion, GitCommit: gitCommit, GoVersion: `bun${Bun.version}`, Os: "linux", Arch: arch, BuildTime: buildTime, Context: "default" };
}

export const versionCommand: Command = {
  names: ["version"],
  synopsis: "[OPTIONS]",
  description: "Show the berth version information",
  flags: [formatFlag],
  maxArgs: 0,
  async run(ctx, flags) {
    const client = clientVersion();
    let server: any;
    let serverError: string | undefined;
    try {
      server = await (await ctx.client()).json("GET", "/version");
    } catch (e) {
      serverError = (e as Error).message;
    }
    if (flags.format) {
      ctx.out(formatOne(flags.format, { Client: client, Server: server ?? null }));
      return serverError ? 1 : 0;
    }
    const lines = [
      "Client:",
      ` Version:           ${client.Version}`,
      ` API version:       ${client.ApiVersion}`,
      ` Bun version:       ${Bun.version}`,
      ` Git commit:        ${client.GitCommit}`,
      ` Built:             ${new Date(client.BuildTime).toUTCString()}`,
      ` OS/Arch:           linux/${arch}`,
    ];
    if (server) {
      lines.push("", `Server: ${server.Platform?.Name ?? "berth"}`, " Engine:",
        `  Version:          ${server.Version}`,
        `  API version:      ${server.ApiVersion} (minimum version ${server.MinAPIVersion})`,
        `  Git commit:       ${server.GitCommit}`,
        `  Built:            ${new Date(server.BuildTime).toUTCString()}`,
        `  OS/Arch:          ${server.Os}/${server.Arch}`);
    }
    ctx.out(lines.join("\n"));
    if (serverError) ctx.err(serverError);
    return serverError ? 1 : 0;
  },
};

export const infoCommand: Command = {
  names: ["info", "system info"],
  synopsis: "[OPTIONS]",
  description: "Display system-wide information",
  flags: [formatFlag],
  maxArgs: 0,
  async run(ctx, flags) {
    const info = await (await ctx.client()).json("GET", "/info");
    if (flags.format) {
      ctx.out(formatOne(flags.format, info));
      return 0;
    }
    ctx.out([
      "Server:",
      ` Containers: ${info.Containers}`,
      `  Running: ${info.ContainersRunning}`,
      `  Paused: ${info.ContainersPaused}`,
      `  Stopped: ${info.ContainersStopped}`,
      ` Images: ${info.Images}`,
      ` Server Version: ${info.ServerVersion}`,
      ` Storage Driver: ${info.Driver}`,
      ` Logging Driver: ${info.LoggingDriver}`,
      ` Cgroup Driver: ${info.CgroupDriver}`,
      ` Cgroup Version: ${info.CgroupVersion}`,
      ` Default Runtime: ${info.DefaultRuntime}`,
      ` Kernel Version: ${info.KernelVersion}`,
      ` Operating System: ${info.OperatingSystem}`,
      ` OSType: ${info.OSType}`,
      ` Architecture: ${info.Architecture}`,
      ` CPUs: ${info.NCPU}`,
      ` Total Memory: ${humanSize(info.MemTotal)}`,
      ` Name: ${info.Name ?? hostname()}`,
      ` ID: ${info.ID}`,
      ` Berth Root Dir: ${info.DockerRootDir}`,
      ` Live Restore Enabled: ${info.LiveRestoreEnabled}`,
      ...(info.Warnings ?? []).map((w: string) => `WARNING: ${w}`),
    ].join("\n"));
    return 0;
  },
};

export const daemonCommand: Command = {
  names: ["daemon"],
  synopsis: "[OPTIONS]",
  description: "Run the berth daemon (serves the Docker Engine API)",
  flags: [
    { name: "data-root", type: "string", help: "Root directory of persistent state (default /var/lib/berth)" },
    { name: "exec-root", type: "string", help: "Root directory for execution state files (default /run/berth)" },
    { name: "host", short: "H", type: "list", help: "Daemon socket(s) to listen on" },
    { name: "pidfile", short: "p", type: "string", help: "Path to use for the daemon PID file" },
    { name: "config-file", type: "string", help: "Daemon configuration file (default /etc/berth/daemon.json)" },
    { name: "tls", type: "bool", help: "Use TLS" },
    { name: "tlsverify", type: "bool", help: "Use TLS and verify clients" },
    { name: "tlscacert", type: "string", help: "Trust certs signed only by this CA" },
    { name: "tlscert", type: "string", help: "Path to TLS certificate file" },
    { name: "tlskey", type: "string", help: "Path to TLS key file" },
    { name: "insecure-registry", type: "list", help: "Enable insecure registry communication" },
    { name: "registry-mirror", type: "list", help: "Preferred registry mirror" },
    { name: "log-level", short: "l", type: "string", help: "Set the logging level (debug, info, warn, error, fatal)" },
  ],
  maxArgs: 0,
  async run(_ctx, f) {
    const given = new Set<keyof DaemonConfig>();
    let cfg = defaultConfig();
    const setIf = (key: keyof DaemonConfig, v: unknown) => {
      if (v === undefined || v === false || (Array.isArray(v) && !v.length)) return;
      (cfg as any)[key] = v;
      given.add(key);
    };
    setIf("dataRoot", f["data-root"]);
    setIf("execRoot", f["exec-root"]);
    setIf("hosts", f.host);
    setIf("pidfile", f.pidfile);
    setIf("tls", f.tls);
    setIf("tlsVerify", f.tlsverify);
    setIf("tlsCaCert", f.tlscacert);
    setIf("tlsCert", f.tlscert);
    setIf("tlsKey", f.tlskey);
    setIf("insecureRegistries", f["insecure-registry"]);
    setIf("registryMirrors", f["registry-mirror"]);
    setIf("logLevel", f["log-level"]);
    cfg = mergeConfigFile(cfg, f["config-file"] || "/etc/berth/daemon.json", given);
    const { startDaemon } = await import("../../daemon/daemon.ts");
    await startDaemon(cfg);
    await new Promise(() => {}); // serve until a signal ends the process
    return 0;
  },
};

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
    const toSeconds = (v?: string) => (v === undefined ? undefined : /^\d+(\.\d+)?$/.test(v) ? v : String(Math.floor(Date.parse(v) / 1000)));
    const res = await (await ctx.client()).request("GET", "/events", {
      query: { since: toSeconds(f.since), until: toSeconds(f.until), filters: filtersJson(f.filter) },
    });
    for await (const e of jsonMessages(res)) {
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

export const dfCommand: Command = {
  names: ["system df"],
  synopsis: "[OPTIONS]",
  description: "Show berth disk usage",
  flags: [formatFlag],
  maxArgs: 0,
  async run(ctx, f) {
    const df = await (await ctx.client()).json("GET", "/system/df");
    const images: any[] = df.Images ?? [];
    const containers: any[] = df.Containers ?? [];
    const activeImages = images.filter((i) => i.Containers > 0);
    const imageSize = images.reduce((n, i) => n + i.Size, 0);
    const reclaimImages = images.filter((i) => i.Containers === 0).reduce((n, i) => n + i.Size, 0);
    const ctrSize = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
    const reclaimCtr = containers.filter((c) => c.State !== "running").reduce((n, c) => n + (c.SizeRw ?? 0), 0);
    const pct = (part: number, whole: number) => (whole ? ` (${Math.floor((part / whole) * 100)}%)` : "");
    const rows = [
      { Type: "Images", TotalCount: String(images.length), Active: String(activeImages.length), Size: humanSize(imageSize), Reclaimable: humanSize(reclaimImages) + pct(reclaimImages, imageSize) },
      { Type: "Containers", TotalCount: String(containers.length), Active: String(containers.filter((c) => c.State === "running").length), Size: humanSize(ctrSize), Reclaimable: humanSize(reclaimCtr) + pct(reclaimCtr, ctrSize) },
      { Type: "Local Volumes", TotalCount: "0", Active: "0", Size: "0B", Reclaimable: "0B" },
      { Type: "Build Cache", TotalCount: "0", Active: "0", Size: "0B", Reclaimable: "0B" },
    ];
    process.stdout.write(printRows(f.format, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", rows, {
      Type: "TYPE", TotalCount: "TOTAL", Active: "ACTIVE", Size: "SIZE", Reclaimable: "RECLAIMABLE",
    }, "*formatter.diskUsageImagesContext"));
    return 0;
  },
};
