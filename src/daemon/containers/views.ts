// Engine API views of a container: ContainerInspectResponse and ContainerSummary.
import type { ContainerRecord } from "./records.ts";
import { logsDisabled } from "./log-config.ts";

function commandLine(c: ContainerRecord): { path: string; args: string[] } {
  const argv = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
  return { path: argv[0] ?? "", args: argv.slice(1) };
}

export interface ContainerPaths {
  root: string;
  logPath: string;
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  mergedDir: string;
}

export function inspectView(c: ContainerRecord, paths: ContainerPaths, driver: string): Record<string, unknown> {
  const { path, args } = commandLine(c);
  return {
    Id: c.id,
    Created: c.created,
    Path: path,
    Args: args,
    State: c.state,
    Image: c.imageId,
    ResolvConfPath: paths.resolvConfPath,
    HostnamePath: paths.hostnamePath,
    HostsPath: paths.hostsPath,
    LogPath: logsDisabled(c.hostConfig) ? "" : paths.logPath,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: driver,
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: null,
    HostConfig: c.hostConfig,
    GraphDriver: {
      Name: driver,
      Data: {
        LowerDir: paths.lowerDirs.join(":"),
        UpperDir: paths.upperDir,
        WorkDir: paths.workDir,
        MergedDir: paths.mergedDir,
      },
    },
    Mounts: [],
    Config: c.config,
    NetworkSettings: {
      Bridge: "",
      SandboxID: "",
      SandboxKey: "",
      Ports: {},
      HairpinMode: false,
      LinkLocalIPv6Address: "",
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: "",
      Gateway: "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      IPAddress: "",
      IPPrefixLen: 0,
      IPv6Gateway: "",
      MacAddress: "",
      Networks: {},
    },
  };
}

/** Docker's STATUS text: "Up 3 seconds", "Exited (0) 2 minutes ago", "Created". */
export function statusText(c: ContainerRecord, humanDuration: (ms: number) => string, now = Date.now()): string {
  const s = c.state;
  if (s.Running) {
    const up = `Up ${humanDuration(now - Date.parse(s.StartedAt))}`;
    if (s.Paused) return `${up} (Paused)`;
    if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
    // "Up 5 seconds (health: starting)", "(healthy)", "(unhealthy)", as dockerd words it.
    if (s.Health) return `${up} (${s.Health.Status === "starting" ? "health: starting" : s.Health.Status})`;
    return up;
  }
  if (s.Status === "removing") return "Removal In Progress";
  if (s.Status === "dead") return "Dead";
  if (s.Status === "created") return "Created";
  const finished = Date.parse(s.FinishedAt);
  if (!finished || finished <= 0) return "Created";
  return `Exited (${s.ExitCode}) ${humanDuration(now - finished)} ago`;
}

export function summaryView(
  c: ContainerRecord,
  imageName: string,
  status: string,
  sizes?: { rw: number; rootFs: number },
): Record<string, unknown> {
  const { path, args } = commandLine(c);
  // dockerd's list quotes each argument that holds a space, with single quotes.
  const command = [path, ...args.map((a) => (a.includes(" ") ? `'${a}'` : a))].join(" ");
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: imageName,
    ImageID: c.imageId,
    Command: command,
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: [],
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Labels: c.config.Labels ?? {},
    State: c.state.Status,
    Status: status,
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode ?? "none" },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}
