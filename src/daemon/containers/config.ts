// Turning a `POST /containers/create` body into the container's stored
// configuration: the image's config is the base, the request overrides it the
// way dockerd merges them, and HostConfig is checked with Docker's messages.
import { InvalidParameterError } from "../../errors.ts";
import { checkDevices } from "./devices.ts";
import { checkSecurityOptions } from "./security-options.ts";
import { checkHostSettings } from "./host-settings.ts";
import { mergeHealthcheck } from "./health/config.ts";

type Json = Record<string, any>;

/** Env lists merge by variable name; the request wins. */
function mergeEnv(base: string[] = [], over: string[] = []): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...over]) out.set(e.split("=", 1)[0]!, e);
  return [...out.values()];
}

/**
 * The container's Config: image defaults under the request's values.
 * As in Docker, a new Entrypoint drops the image's Cmd unless Cmd is given too.
 */
export function mergeConfig(imageConfig: Json, request: Json): Json {
  const img = imageConfig ?? {};
  const entrypointGiven = request.Entrypoint !== undefined && request.Entrypoint !== null;
  const cmdGiven = Array.isArray(request.Cmd) ? request.Cmd.length > 0 : typeof request.Cmd === "string";
  const asList = (v: unknown): string[] | null =>
    v === undefined || v === null ? null : Array.isArray(v) ? v.map(String) : [String(v)];
  const entrypoint = entrypointGiven ? asList(request.Entrypoint) : asList(img.Entrypoint);
  const cmd = cmdGiven ? asList(request.Cmd) : entrypointGiven ? null : asList(img.Cmd);
  return {
    Hostname: request.Hostname ?? "",
    Domainname: request.Domainname ?? "",
    User: request.User || img.User || "",
    AttachStdin: !!request.AttachStdin,
    AttachStdout: !!request.AttachStdout,
    AttachStderr: !!request.AttachStderr,
    ExposedPorts: { ...(img.ExposedPorts ?? {}), ...(request.ExposedPorts ?? {}) },
    Tty: !!request.Tty,
    OpenStdin: !!request.OpenStdin,
    StdinOnce: !!request.StdinOnce,
    Env: mergeEnv(img.Env, request.Env ?? []),
    Cmd: cmd && cmd.length ? cmd : null,
    Healthcheck: mergeHealthcheck(img.Healthcheck, request.Healthcheck),
    Image: request.Image,
    Volumes: { ...(img.Volumes ?? {}), ...(request.Volumes ?? {}) },
    WorkingDir: request.WorkingDir || img.WorkingDir || "",
    Entrypoint: entrypoint && entrypoint.length ? entrypoint : null,
    NetworkDisabled: request.NetworkDisabled || undefined,
    OnBuild: img.OnBuild ?? null,
    Labels: { ...(img.Labels ?? {}), ...(request.Labels ?? {}) },
    StopSignal: request.StopSignal || img.StopSignal || undefined,
    StopTimeout: request.StopTimeout ?? undefined,
    // CMD-SHELL probes run in it, as RUN does at build time.
    Shell: request.Shell?.length ? request.Shell : img.Shell ?? undefined,
  };
}

const minMemory = 6 * 1024 * 1024;

/** The runtime `info` reports as DefaultRuntime. */
export const defaultRuntime = "berth";
/** Every name `info` lists under Runtimes, each berth's one runtime: "runc" too, Docker's default, which clients and compose files name. */
export const runtimeNames = [defaultRuntime, "runc"];

/** HostConfig with Docker's defaults filled in and its validation messages. */
export function normalizeHostConfig(hc: Json = {}, ncpu: number): Json {
  const out: Json = { ...hc };
  // Which network a default mode means, and whether a named one exists, is the networks' to say.
  out.NetworkMode ||= "default";
  out.RestartPolicy ||= { Name: "no", MaximumRetryCount: 0 };
  out.LogConfig = { Type: hc.LogConfig?.Type || "json-file", Config: hc.LogConfig?.Config ?? {} };
  out.Binds ??= null;
  out.AutoRemove = !!hc.AutoRemove;
  out.Privileged = !!hc.Privileged;
  out.ReadonlyRootfs = !!hc.ReadonlyRootfs;
  out.Init = hc.Init ?? null;
  for (const k of ["Memory", "MemorySwap", "NanoCpus", "CpuShares", "CpuQuota", "CpuPeriod", "ShmSize"]) out[k] = Number(hc[k] ?? 0);
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null) out.PidsLimit = Number(hc.PidsLimit);
  out.CpusetCpus = hc.CpusetCpus ?? "";

  if (out.Memory < 0 || (out.Memory > 0 && out.Memory < minMemory)) {
    throw new InvalidParameterError("Minimum memory limit allowed is 6MB");
  }
  if (out.MemorySwap > 0 && out.Memory === 0) {
    throw new InvalidParameterError("You should always set the Memory limit when using Memoryswap limit");
  }
  if (out.MemorySwap > 0 && out.MemorySwap < out.Memory) {
    throw new InvalidParameterError("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (out.NanoCpus < 0 || out.NanoCpus > ncpu * 1e9) {
    throw new InvalidParameterError(
      `Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`,
    );
  }
  if (out.NanoCpus > 0 && (out.CpuQuota > 0 || out.CpuPeriod > 0)) {
    throw new InvalidParameterError("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  }
  if (out.CpusetCpus && !/^(\d+(-\d+)?)(,\d+(-\d+)?)*$/.test(out.CpusetCpus)) {
    throw new InvalidParameterError(`Invalid value ${out.CpusetCpus} for cpuset cpus`);
  }
  // The names `info` lists; dockerd's words for any other. Unset is the default's name, as in dockerd.
  if (hc.Runtime && !runtimeNames.includes(hc.Runtime)) throw new InvalidParameterError(`unknown or invalid runtime name: ${hc.Runtime}`);
  out.Runtime = hc.Runtime || defaultRuntime;
  checkDevices(out);
  checkSecurityOptions(out);
  checkHostSettings(out);
  const policy = String(out.RestartPolicy.Name ?? "no");
  if (!["", "no", "always", "unless-stopped", "on-failure"].includes(policy)) {
    throw new InvalidParameterError(`invalid restart policy '${policy}'`);
  }
  if (out.AutoRemove && policy !== "" && policy !== "no") {
    throw new InvalidParameterError("can't create 'AutoRemove' container with restart policy");
  }
  return out;
}
