// The flags `run` and `create` share, and turning them into a create body.
import type { FlagSpec } from "../flags.ts";
import { UsageError } from "../flags.ts";
import { parseBytes } from "../../shared/units.ts";
import { nodeFs } from "../../builtins.ts";
import { mountFlags, mountsFromFlags } from "./mount-flags.ts";
import { exposedPorts, networkFlags, networkHostConfig, networkingConfig, networkNames } from "./run-network-flags.ts";
import { deviceFlags, deviceHostConfig } from "./device-flags.ts";
import { healthcheckFromFlags, healthFlags } from "./health-flags.ts";
import { securityOpts } from "./security-opts.ts";
import { consoleSize } from "./attach-stream.ts";
import { ulimitProblem } from "../../shared/ulimits.ts";
import { hostSettingFlags, hostSettingsHostConfig } from "./host-setting-flags.ts";

export const containerConfigFlags: FlagSpec[] = [
  { name: "interactive", short: "i", type: "bool", help: "Keep STDIN open even if not attached" },
  { name: "tty", short: "t", type: "bool", help: "Allocate a pseudo-TTY" },
  { name: "name", type: "string", help: "Assign a name to the container" },
  { name: "env", short: "e", type: "list", help: "Set environment variables" },
  { name: "env-file", type: "list", help: "Read in a file of environment variables" },
  { name: "workdir", short: "w", type: "string", help: "Working directory inside the container" },
  { name: "user", short: "u", type: "string", help: "Username or UID (format: <name|uid>[:<group|gid>])" },
  { name: "hostname", short: "h", type: "string", help: "Container host name" },
  { name: "domainname", type: "string", help: "Container NIS domain name" },
  { name: "entrypoint", type: "string", help: "Overwrite the default ENTRYPOINT of the image" },
  { name: "memory", short: "m", type: "string", help: "Memory limit" },
  { name: "memory-swap", type: "string", help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  { name: "cpus", type: "string", help: "Number of CPUs" },
  { name: "cpu-shares", short: "c", type: "number", help: "CPU shares (relative weight)" },
  { name: "cpuset-cpus", type: "string", help: "CPUs in which to allow execution (0-3, 0,1)" },
  { name: "pids-limit", type: "number", help: "Tune container pids limit (set -1 for unlimited)" },
  { name: "blkio-weight", type: "number", help: "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)" },
  { name: "blkio-weight-device", type: "list", help: "Block IO weight (relative device weight)" },
  { name: "device-read-bps", type: "list", help: "Limit read rate (bytes per second) from a device" },
  { name: "device-write-bps", type: "list", help: "Limit write rate (bytes per second) to a device" },
  { name: "device-read-iops", type: "list", help: "Limit read rate (IO per second) from a device" },
  { name: "device-write-iops", type: "list", help: "Limit write rate (IO per second) to a device" },
  { name: "read-only", type: "bool", help: "Mount the container's root filesystem as read only" },
  { name: "network", type: "list", help: "Connect a container to a network" },
  { name: "net", type: "list", help: "Connect a container to a network (deprecated spelling)" },
  { name: "init", type: "bool", help: "Run an init inside the container that forwards signals and reaps processes" },
  { name: "runtime", type: "string", help: "Runtime to use for this container" },
  { name: "stop-timeout", type: "number", help: "Timeout (in seconds) to stop a container" },
  { name: "stop-signal", type: "string", help: "Signal to stop the container" },
  { name: "label", short: "l", type: "list", help: "Set meta data on a container" },
  { name: "rm", type: "bool", help: "Automatically remove the container when it exits" },
  { name: "privileged", type: "bool", help: "Give extended privileges to this container" },
  { name: "cap-add", type: "list", help: "Add Linux capabilities" },
  { name: "cap-drop", type: "list", help: "Drop Linux capabilities" },
  { name: "ulimit", type: "list", help: "Ulimit options" },
  { name: "platform", type: "string", help: "Set platform if server is multi-platform capable" },
  { name: "pull", type: "string", help: 'Pull image before running ("always", "missing", "never")' },
  { name: "restart", type: "string", help: "Restart policy to apply when a container exits (no, always, unless-stopped, on-failure[:max])" },
  { name: "log-driver", type: "string", help: "Logging driver for the container (json-file)" },
  { name: "log-opt", type: "list", help: "Log driver options" },
  { name: "security-opt", type: "list", help: "Security Options (no-new-privileges)" },
  ...mountFlags,
  ...networkFlags,
  ...deviceFlags,
  ...hostSettingFlags,
  ...healthFlags,
];

function parseEnvFile(path: string): string[] {
  return nodeFs().readFileSync(path, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => (l.includes("=") ? l : process.env[l] !== undefined ? `${l}=${process.env[l]}` : l));
}

function restartPolicy(v?: string): { Name: string; MaximumRetryCount: number } {
  if (!v) return { Name: "no", MaximumRetryCount: 0 };
  const [name, max] = v.split(":");
  if (max !== undefined && name !== "on-failure") throw new UsageError(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
  return { Name: name!, MaximumRetryCount: max ? Number(max) : 0 };
}

/** `--label k=v` (repeatable; a bare key has an empty value) → a label map. */
export function labelMap(list: string[]): Record<string, string> {
  return Object.fromEntries(list.map((l) => { const i = l.indexOf("="); return i < 0 ? [l, ""] : [l.slice(0, i), l.slice(i + 1)]; }));
}

/** The `POST /containers/create` body for `run`/`create` flags and `IMAGE [CMD…]`. */
export function createBody(f: Record<string, any>, args: string[]): Record<string, unknown> {
  const [image, ...cmd] = args;
  const env = [...f["env-file"].flatMap(parseEnvFile), ...f.env.map((e: string) => (e.includes("=") ? e : process.env[e] !== undefined ? `${e}=${process.env[e]}` : e))];
  const labels = labelMap(f.label);
  const memory = f.memory ? parseBytes(f.memory) : 0;
  const swap = f["memory-swap"] === "-1" ? -1 : f["memory-swap"] ? parseBytes(f["memory-swap"]) : 0;
  let nanoCpus = 0;
  if (f.cpus) {
    const n = Number(f.cpus);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`invalid argument "${f.cpus}" for "--cpus" flag: failed to parse ${f.cpus} as a rational number`);
    nanoCpus = Math.round(n * 1e9);
  }
  const ulimits = f.ulimit.map((u: string) => {
    const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(u);
    if (!m) throw new UsageError(`invalid argument "${u}" for "--ulimit" flag: invalid ulimit argument: ${u}`);
    const problem = ulimitProblem(m[1]!, Number(m[2]), Number(m[3] ?? m[2]));
    if (problem) throw new UsageError(`invalid argument "${u}" for "--ulimit" flag: ${problem}`);
    return { Name: m[1], Soft: Number(m[2]), Hard: Number(m[3] ?? m[2]) };
  });
  const mounts = mountsFromFlags(f);
  return {
    Image: image,
    Volumes: mounts.volumes,
    Cmd: cmd.length ? cmd : undefined,
    Entrypoint: f.entrypoint !== undefined ? (f.entrypoint === "" ? [] : [f.entrypoint]) : undefined,
    Env: env,
    WorkingDir: f.workdir ?? "",
    User: f.user ?? "",
    Hostname: f.hostname ?? "",
    Domainname: f.domainname ?? "",
    Tty: f.tty,
    OpenStdin: f.interactive,
    // Docker closes the program's stdin when an attached client's stdin ends, unless detached.
    StdinOnce: f.interactive && !f.detach,
    AttachStdin: f.interactive,
    AttachStdout: true,
    AttachStderr: true,
    Labels: labels,
    StopTimeout: f["stop-timeout"],
    StopSignal: f["stop-signal"],
    Healthcheck: healthcheckFromFlags(f),
    HostConfig: {
      AutoRemove: f.rm,
      Memory: memory,
      MemorySwap: swap,
      NanoCpus: nanoCpus,
      CpuShares: f["cpu-shares"] ?? 0,
      CpusetCpus: f["cpuset-cpus"] ?? "",
      PidsLimit: f["pids-limit"],
      ...blockIOFlags(f),
      ReadonlyRootfs: f["read-only"],
      NetworkMode: networkNames(f)[0] ?? "default",
      Init: f.init || undefined,
      Runtime: f.runtime || undefined,
      Privileged: f.privileged,
      CapAdd: f["cap-add"].length ? f["cap-add"] : null,
      CapDrop: f["cap-drop"].length ? f["cap-drop"] : null,
      Ulimits: ulimits.length ? ulimits : null,
      RestartPolicy: restartPolicy(f.restart),
      SecurityOpt: securityOpts(f["security-opt"]),
      LogConfig: { Type: f["log-driver"] ?? "", Config: logOpts(f["log-opt"]) },
      ...mounts.hostConfig,
      ...networkHostConfig(f),
      ...deviceHostConfig(f),
      // The terminal's size goes with the create, as docker's does, so the program starts with it.
      // Without -t there is none to size (and asking stdout costs a start an fstat and node:fs).
      ConsoleSize: f.tty ? consoleSize() : [0, 0],
      ...hostSettingsHostConfig(f),
    },
    ExposedPorts: exposedPorts(f),
    NetworkingConfig: networkingConfig(f),
  };
}

/** `--log-opt k=v` (repeatable) → LogConfig.Config, docker's parse error for a missing "=". */
function logOpts(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of list) {
    const i = o.indexOf("=");
    if (i < 1) throw new UsageError(`invalid argument "${o}" for "--log-opt" flag: invalid key value pair format in log-opt`);
    out[o.slice(0, i)] = o.slice(i + 1);
  }
  return out;
}

/** --blkio-weight and the per-device flags (PATH:WEIGHT, PATH:RATE with units, PATH:IOPS), checked as the docker CLI checks them. */
function blockIOFlags(f: Record<string, any>): Record<string, unknown> {
  const split = (v: string, bad: string) => {
    const i = v.lastIndexOf(":");
    if (i <= 0 || !v.startsWith("/dev/")) throw new Error(bad);
    return [v.slice(0, i), v.slice(i + 1)] as const;
  };
  const weights = (f["blkio-weight-device"] as string[]).map((v) => {
    const [path, w] = split(v, `bad format: ${v}`);
    const weight = Number(w);
    if (!/^\d+$/.test(w) || weight < 10 || weight > 1000) throw new Error(`invalid weight for device: ${v}`);
    return { Path: path, Weight: weight };
  });
  const rates = (key: string, iops: boolean) => (f[key] as string[]).map((v) => {
    const [path, r] = split(v, `bad format for path: ${v}`);
    let rate = NaN;
    try {
      rate = iops ? (/^\d+$/.test(r) ? Number(r) : NaN) : parseBytes(r);
    } catch {
      // not a size: refused below
    }
    if (!Number.isFinite(rate) || rate < 0) throw new Error(`invalid rate for device: ${v}. The correct format is <device-path>:<number>${iops ? "" : "[<unit>]"}`);
    return { Path: path, Rate: rate };
  });
  return {
    BlkioWeight: f["blkio-weight"] ?? 0,
    BlkioWeightDevice: weights,
    BlkioDeviceReadBps: rates("device-read-bps", false),
    BlkioDeviceWriteBps: rates("device-write-bps", false),
    BlkioDeviceReadIOps: rates("device-read-iops", true),
    BlkioDeviceWriteIOps: rates("device-write-iops", true),
  };
}
