// A service of the model as the Engine API's container create body: the
// container's config, its host config (mounts, ports, limits, restart
// policy), its networks with the service name as alias, and compose's labels.
import { durationNs } from "../../../compose/duration.ts";
import { serviceHash } from "../../../compose/hash.ts";
import { ComposeError } from "../../../compose/errors.ts";
import type { FileReference, Project, Resource, Service } from "../../../compose/types.ts";
import { parseBytes } from "../../../shared/units.ts";
import { composeVersion, containerName, imageName, label } from "./names.ts";
import { blkioConfig, deviceMappings, deviceRequests, linksOf, microseconds, restartPolicy, volumesFrom } from "./host-keys.ts";

function bytes(v: unknown): number {
  if (v === undefined || v === null) return 0;
  return typeof v === "number" ? v : parseBytes(String(v));
}

function healthcheck(h: Service["healthcheck"]): Record<string, unknown> | undefined {
  if (!h) return undefined;
  if (h.disable) return { Test: ["NONE"] };
  const ns = (d?: string) => (d ? durationNs(d) : undefined);
  return { Test: h.test, Interval: ns(h.interval), Timeout: ns(h.timeout), Retries: h.retries, StartPeriod: ns(h.start_period), StartInterval: ns(h.start_interval) };
}

/** `depends_on` as compose writes it in its label: service:condition:restart,… */
function dependsOnLabel(s: Service): string {
  return Object.entries(s.depends_on ?? {}).map(([d, spec]) => `${d}:${spec.condition}:${spec.restart ?? false}`).join(",");
}

export function composeLabels(p: Project, service: string, s: Service, n: number, oneoff: boolean): Record<string, string> {
  return {
    ...(s.labels ?? {}),
    [label.project]: p.name,
    [label.service]: service,
    [label.number]: String(n),
    [label.oneoff]: oneoff ? "True" : "False",
    [label.hash]: serviceHash(s),
    [label.workingDir]: p.workingDir,
    [label.configFiles]: p.configFiles.join(","),
    [label.dependsOn]: dependsOnLabel(s),
    [label.image]: imageName(p, service, s),
    [label.version]: composeVersion,
  };
}

/** Where a service's secret lands: /run/secrets/<name>, or its target (the model put a relative one under /run/secrets). */
function secretTarget(r: FileReference): string {
  return r.target ?? `/run/secrets/${r.source}`;
}

/** Where a service's config lands: /<name>, or its target. */
function configTarget(r: FileReference): string {
  return r.target ?? `/${r.source}`;
}

/** Where secrets and configs are mounted: a file source is bound read-only. */
function fileMounts(p: Project, s: Service): { Type: string; Source: string; Target: string; ReadOnly: boolean }[] {
  const out = [];
  for (const r of s.secrets ?? []) {
    const def = p.secrets[r.source]!;
    if (def.file) out.push({ Type: "bind", Source: def.file, Target: secretTarget(r), ReadOnly: true });
  }
  for (const r of s.configs ?? []) {
    const def = p.configs[r.source]!;
    if (def.file) out.push({ Type: "bind", Source: def.file, Target: configTarget(r), ReadOnly: true });
  }
  return out;
}

/** The value of a secret or config taken from a variable: one that is not set is compose's error, not an empty file. */
export function environmentValue(p: Project, kind: "secret" | "config", def: Resource): string | undefined {
  if (def.environment === undefined) return def.content;
  const v = p.environment[def.environment];
  if (v === undefined) throw new ComposeError(`environment variable "${def.environment}" required by ${kind} "${def.name}" is not set`);
  return v;
}

/** Secrets and configs without a file (environment or content): their bytes and mode (compose's 0400 for a secret, 0444 for a config), copied in before start. */
export function inlineFiles(p: Project, s: Service): { path: string; content: string; mode: number }[] {
  const out: { path: string; content: string; mode: number }[] = [];
  for (const r of s.secrets ?? []) {
    const def = p.secrets[r.source]!;
    const c = def.file ? undefined : environmentValue(p, "secret", def);
    if (c !== undefined) out.push({ path: secretTarget(r), content: c, mode: r.mode ?? 0o400 });
  }
  for (const r of s.configs ?? []) {
    const def = p.configs[r.source]!;
    const c = def.file ? undefined : environmentValue(p, "config", def);
    if (c !== undefined) out.push({ path: configTarget(r), content: c, mode: r.mode ?? 0o444 });
  }
  return out;
}

export interface CreateOverrides {
  oneoff?: boolean;
  command?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
  tty?: boolean;
  interactive?: boolean;
  /** `run` publishes only the ports it is asked to, unless --service-ports. */
  ports?: boolean;
  extraPorts?: Record<string, { HostIp: string; HostPort: string }[]>;
  extraBinds?: string[];
  labels?: Record<string, string>;
  /** A container name of its own (run --name, run's <project>-<service>-run-<id>). */
  name?: string;
  /** The anonymous volumes of the container this one replaces, mounted where they were. */
  inheritedMounts?: { Type: string; Source: string; Target: string; ReadOnly: boolean }[];
}

/** The create body of container number `n` of a service. */
export function createBody(p: Project, service: string, s: Service, n: number, o: CreateOverrides = {}): { name: string; body: Record<string, unknown> } {
  const env = { ...(s.environment ?? {}), ...(o.env ?? {}) };
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const e of s.expose ?? []) exposed[e.includes("/") ? e : `${e}/tcp`] = {};
  if (o.ports !== false) {
    for (const port of s.ports ?? []) {
      const key = `${port.target}/${port.protocol}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: port.host_ip ?? "", HostPort: port.published ?? "" });
    }
  }
  for (const [key, b] of Object.entries(o.extraPorts ?? {})) {
    exposed[key] = {};
    (bindings[key] ??= []).push(...b);
  }
  const binds: string[] = [...(o.extraBinds ?? [])];
  const mounts: Record<string, unknown>[] = [];
  const tmpfs: Record<string, string> = {};
  const anonymous: Record<string, object> = {};
  const inherited = new Set((o.inheritedMounts ?? []).map((m) => m.Target));
  mounts.push(...(o.inheritedMounts ?? []));
  for (const v of s.volumes ?? []) {
    if (inherited.has(v.target)) continue;
    if (v.type === "bind") {
      const b = v.bind ?? {};
      // As compose: the bind string unless an option only the Mount API has is asked for.
      if (b.create_host_path !== false && !b.recursive) {
        const opts = [v.read_only ? "ro" : "", b.selinux ?? "", b.propagation ?? ""].filter(Boolean).join(",");
        binds.push(`${v.source}:${v.target}${opts ? `:${opts}` : ""}`);
      } else {
        const BindOptions = { Propagation: b.propagation, CreateMountpoint: b.create_host_path !== false, NonRecursive: b.recursive === "disabled" || undefined };
        mounts.push({ Type: "bind", Source: v.source, Target: v.target, ReadOnly: !!v.read_only, BindOptions });
      }
    } else if (v.type === "tmpfs") {
      const t = v.tmpfs ?? {};
      tmpfs[v.target] = [t.size !== undefined ? `size=${t.size}` : "", t.mode !== undefined ? `mode=${Number(t.mode).toString(8)}` : ""].filter(Boolean).join(",");
    } else if (!v.source) {
      anonymous[v.target] = {};
    } else {
      mounts.push({ Type: "volume", Source: p.volumes[v.source]!.name, Target: v.target, ReadOnly: !!v.read_only, VolumeOptions: v.volume?.nocopy ? { NoCopy: true } : undefined });
    }
  }
  for (const t of s.tmpfs ?? []) {
    const [path, opts = ""] = String(t).split(":");
    tmpfs[path!] = opts;
  }
  mounts.push(...fileMounts(p, s));
  const limits = s.deploy?.resources?.limits ?? {};
  const cpus = s.cpus ?? limits.cpus;
  const name = o.name ?? containerName(p.name, service, n, o.oneoff ? undefined : s);
  // Highest priority first (the primary network), then by name, as compose orders them.
  const networks = Object.entries(s.networks ?? {}).sort(([a, x], [b, y]) => (y?.priority ?? 0) - (x?.priority ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
  const endpoints: Record<string, unknown> = {};
  const links = linksOf(p, s, n);
  const mac = s.mac_address as string | undefined;
  for (const [i, [key, cfg]] of networks.entries()) {
    // The service's mac_address is the primary network's (API 1.44 has one per endpoint).
    if (i === 0 && mac && cfg?.mac_address && cfg.mac_address !== mac) throw new ComposeError(`the service-level mac_address should have the same value as network ${key}`);
    endpoints[p.networks[key]!.name!] = {
      Aliases: o.oneoff ? [] : [service, ...(cfg?.aliases ?? [])],
      IPAMConfig: cfg?.ipv4_address || cfg?.ipv6_address ? { IPv4Address: cfg.ipv4_address, IPv6Address: cfg.ipv6_address } : undefined,
      DriverOpts: cfg?.driver_opts,
      GwPriority: cfg?.gw_priority,
      MacAddress: cfg?.mac_address ?? (i === 0 ? mac : undefined),
      // The engine gives the primary network HostConfig.Links; the others carry them on their endpoints.
      Links: i > 0 && links.length ? links : undefined,
    };
  }
  const { devices, cdi } = deviceMappings(s);
  const networkMode = s.network_mode ?? (networks.length ? p.networks[networks[0]![0]]!.name : "none");
  // network_mode, ipc and pid: service:NAME is that service's first container, as docker compose makes it.
  const serviceRef = <T extends string | undefined>(mode: T): T | string => (mode?.startsWith("service:") ? `container:${containerName(p.name, mode.slice(8), 1, p.services[mode.slice(8)])}` : mode);
  const ulimits = Object.entries((s.ulimits ?? {}) as Record<string, { soft: number; hard: number }>).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard }));
  const stopGrace = s.stop_grace_period ? Math.round(durationNs(String(s.stop_grace_period)) / 1e9) : undefined;
  return {
    name,
    body: {
      Image: imageName(p, service, s),
      Cmd: o.command ?? s.command ?? undefined,
      Entrypoint: o.entrypoint ?? s.entrypoint ?? undefined,
      Env: Object.entries(env).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`),
      Labels: { ...composeLabels(p, service, s, n, !!o.oneoff), ...(o.labels ?? {}) },
      Hostname: s.hostname ?? "",
      Domainname: s.domainname ?? "",
      User: o.user ?? s.user ?? "",
      WorkingDir: o.workdir ?? s.working_dir ?? "",
      Tty: o.tty ?? !!s.tty,
      OpenStdin: o.interactive ?? !!s.stdin_open,
      AttachStdin: !!o.interactive,
      AttachStdout: !!o.oneoff,
      AttachStderr: !!o.oneoff,
      StdinOnce: !!o.interactive,
      StopSignal: s.stop_signal,
      StopTimeout: stopGrace,
      Healthcheck: healthcheck(s.healthcheck),
      ExposedPorts: exposed,
      Volumes: Object.keys(anonymous).length ? anonymous : undefined,
      HostConfig: {
        Binds: binds,
        Mounts: mounts,
        Tmpfs: tmpfs,
        PortBindings: bindings,
        NetworkMode: serviceRef(networkMode),
        RestartPolicy: o.oneoff ? { Name: "no", MaximumRetryCount: 0 } : restartPolicy(s),
        Memory: bytes(s.mem_limit ?? limits.memory),
        MemorySwap: bytes(s.memswap_limit),
        MemoryReservation: bytes(s.mem_reservation ?? (s.deploy?.resources as { reservations?: { memory?: unknown } } | undefined)?.reservations?.memory),
        // compose leaves an unset swappiness out (-1 and 0 were refused-as-unset before: 0 is a real value).
        MemorySwappiness: s.mem_swappiness !== undefined && s.mem_swappiness !== null ? Number(s.mem_swappiness) : undefined,
        OomKillDisable: s.oom_kill_disable === true || undefined,
        NanoCpus: cpus !== undefined ? Math.round(Number(cpus) * 1e9) : 0,
        CpuShares: (s.cpu_shares as number | undefined) ?? 0,
        CpusetCpus: (s.cpuset as string | undefined) ?? "",
        CpuPeriod: microseconds(s.cpu_period) ?? 0,
        CpuQuota: microseconds(s.cpu_quota) ?? 0,
        OomScoreAdj: (s.oom_score_adj as number | undefined) ?? 0,
        Devices: devices,
        DeviceCgroupRules: (s.device_cgroup_rules as string[] | undefined) ?? null,
        DeviceRequests: deviceRequests(s, cdi),
        IpcMode: serviceRef(String(s.ipc ?? "")),
        UTSMode: (s.uts as string | undefined) ?? "",
        PidMode: serviceRef(String(s.pid ?? "")),
        CgroupnsMode: (s.cgroup as string | undefined) ?? "",
        UsernsMode: (s.userns_mode as string | undefined) ?? "",
        Links: links.length ? links : null,
        VolumesFrom: volumesFrom(p, s),
        Runtime: (s.runtime as string | undefined) ?? "",
        Annotations: (s.annotations as Record<string, string> | undefined) ?? undefined,
        PidsLimit: (s.pids_limit ?? limits.pids) as number | undefined,
        ...blkioConfig(s),
        Init: s.init as boolean | undefined,
        ReadonlyRootfs: !!s.read_only,
        Privileged: !!s.privileged,
        CapAdd: (s.cap_add as string[]) ?? null,
        CapDrop: (s.cap_drop as string[]) ?? null,
        SecurityOpt: (s.security_opt as string[]) ?? null,
        Ulimits: ulimits.length ? ulimits : null,
        Sysctls: s.sysctls,
        ExtraHosts: ((s.extra_hosts as string[]) ?? []).map((h) => h.replace("=", ":")),
        Dns: s.dns ?? null,
        DnsSearch: s.dns_search ?? null,
        DnsOptions: s.dns_opt ?? null,
        LogConfig: s.logging ? { Type: (s.logging as { driver?: string }).driver ?? "", Config: (s.logging as { options?: object }).options ?? {} } : undefined,
        ShmSize: s.shm_size !== undefined ? bytes(s.shm_size) : undefined,
        GroupAdd: s.group_add ?? null,
      },
      NetworkingConfig: { EndpointsConfig: endpoints },
    },
  };
}
