// version and info: docker's two-section layouts, or --format over the API objects.
import { nodeOs } from "../../builtins.ts";
import type { Command } from "../command.ts";
import { formatFlag } from "../command.ts";
import { apiVersion, version, gitCommit, buildTime } from "../../version.ts";
import { formatOne } from "../output.ts";
import { GoStruct } from "../format/template.ts";
import { humanSize } from "../../shared/units.ts";

const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Go's time.ANSIC ("Mon Jan _2 15:04:05 2006"), as docker version prints build times. */
export function ansicTime(iso: string | undefined): string {
  const t = iso ? new Date(iso) : undefined;
  if (!t || Number.isNaN(t.getTime())) return iso ?? "";
  const p = (n: number) => String(n).padStart(2, "0");
  return `${days[t.getUTCDay()]} ${months[t.getUTCMonth()]} ${String(t.getUTCDate()).padStart(2, " ")} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())} ${t.getUTCFullYear()}`;
}

const arch = process.arch === "x64" ? "amd64" : process.arch;

function clientVersion() {
  return { Platform: { Name: "berth" }, Version: version, ApiVersion: apiVersion, DefaultAPIVersion: apiVersion, GitCommit: gitCommit, GoVersion: `bun${Bun.version}`, Os: "linux", Arch: arch, BuildTime: buildTime, Context: "default" };
}

/** Go field names (APIVersion) for templates, the JSON names for {{json .}}: as docker's types.Version. */
function goVersion(typeName: string, v: Record<string, any>): GoStruct {
  const { ApiVersion, ...rest } = v;
  return new GoStruct(typeName, { ...rest, APIVersion: ApiVersion }, () => v);
}

function versionTemplateData(client: Record<string, any>, server: Record<string, any> | undefined): GoStruct {
  const c = goVersion("*client.clientVersion", client);
  const s = server ? goVersion("*types.Version", server) : null;
  return new GoStruct("client.versionInfo", { Client: c, Server: s }, () => ({ Client: client, Server: server ?? null }));
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
      ctx.out(formatOne(flags.format, versionTemplateData(client, server)));
      return serverError ? 1 : 0;
    }
    const lines = [
      "Client:",
      ` Version:           ${client.Version}`,
      ` API version:       ${client.ApiVersion}`,
      ` Bun version:       ${Bun.version}`,
      ` Git commit:        ${client.GitCommit}`,
      ` Built:             ${ansicTime(client.BuildTime)}`,
      ` OS/Arch:           ${client.Os}/${client.Arch}`,
      ` Context:           ${client.Context}`,
    ];
    if (server) {
      lines.push("", `Server: ${server.Platform?.Name ?? ""}`.trimEnd());
      for (const c of server.Components ?? []) {
        const det = c.Details ?? {};
        lines.push(` ${c.Name}:`, `  Version:          ${c.Version}`);
        if (c.Name === "Engine") {
          lines.push(
            `  API version:      ${det.ApiVersion} (minimum version ${det.MinAPIVersion})`,
            `  Bun version:      ${String(det.GoVersion ?? "").replace(/^bun/, "")}`,
            `  Git commit:       ${det.GitCommit}`,
            `  Built:            ${ansicTime(det.BuildTime)}`,
            `  OS/Arch:          ${det.Os}/${det.Arch}`,
            `  Experimental:     ${det.Experimental ?? "false"}`,
          );
        } else {
          for (const [k, v] of Object.entries(det)) lines.push(`  ${`${k}:`.padEnd(18)}${v}`);
        }
      }
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
    ctx.out(infoText(info, !!ctx.globals.debug));
    for (const w of info.Warnings ?? []) ctx.err(`WARNING: ${w}`);
    return 0;
  },
};

/** docker info's text layout for the fields berth fills. */
function infoText(info: any, debug: boolean): string {
  const lines = [
    "Client:",
    ` Version:    ${version}`,
    " Context:    default",
    ` Debug Mode: ${debug}`,
    "",
    "Server:",
    ` Containers: ${info.Containers}`,
    `  Running: ${info.ContainersRunning}`,
    `  Paused: ${info.ContainersPaused}`,
    `  Stopped: ${info.ContainersStopped}`,
    ` Images: ${info.Images}`,
    ` Server Version: ${info.ServerVersion}`,
    ` Storage Driver: ${info.Driver}`,
    ...(info.DriverStatus ?? []).map(([k, v]: [string, string]) => `  ${k}: ${v}`),
    ` Logging Driver: ${info.LoggingDriver}`,
    ` Cgroup Driver: ${info.CgroupDriver}`,
    ` Cgroup Version: ${info.CgroupVersion}`,
  ];
  const plugins = info.Plugins ?? {};
  lines.push(" Plugins:");
  for (const [k, label] of [["Volume", "Volume"], ["Network", "Network"], ["Log", "Log"]] as const) {
    if (plugins[k]?.length) lines.push(`  ${label}: ${plugins[k].join(" ")}`);
  }
  lines.push(
    ` Runtimes: ${Object.keys(info.Runtimes ?? {}).sort().join(" ")}`,
    ` Default Runtime: ${info.DefaultRuntime}`,
  );
  if (info.FirewallBackend) {
    lines.push(` Firewall Backend: ${info.FirewallBackend.Driver}`, ...(info.FirewallBackend.Info ?? []).map(([k, v]: [string, string]) => `  ${k}: ${v}`));
  }
  if (info.SecurityOptions?.length) {
    lines.push(" Security Options:", ...info.SecurityOptions.map((o: string) => `  ${o.replace(/^name=/, "")}`));
  }
  lines.push(
    ` Kernel Version: ${info.KernelVersion}`,
    ` Operating System: ${info.OperatingSystem}`,
    ` OSType: ${info.OSType}`,
    ` Architecture: ${info.Architecture}`,
    ` CPUs: ${info.NCPU}`,
    ` Total Memory: ${humanSize(info.MemTotal)}`,
    ` Name: ${info.Name ?? nodeOs().hostname()}`,
    ` ID: ${info.ID}`,
    ` Docker Root Dir: ${info.DockerRootDir}`,
    ` Debug Mode: ${!!info.Debug}`,
    ` Experimental: ${!!info.ExperimentalBuild}`,
  );
  const reg = info.RegistryConfig ?? {};
  const insecure = [
    ...Object.values(reg.IndexConfigs ?? {}).filter((c: any) => !c.Secure).map((c: any) => c.Name),
    ...(reg.InsecureRegistryCIDRs ?? []),
  ];
  if (insecure.length) lines.push(" Insecure Registries:", ...insecure.map((r) => `  ${r}`));
  if (reg.Mirrors?.length) lines.push(" Registry Mirrors:", ...reg.Mirrors.map((m: string) => `  ${m}`));
  lines.push(` Live Restore Enabled: ${!!info.LiveRestoreEnabled}`, "");
  return lines.join("\n");
}

