// Service keys whose setting berth's engine has no counterpart for: refused
// before up, create or run makes anything, naming the service and the key,
// rather than dropped silently (the daemon refuses the same in HostConfig). A
// value that asks for what the engine does anyway (ipc: private, isolation:
// default) passes.
import { ComposeError } from "../../../compose/errors.ts";
import type { Project, Service } from "../../../compose/types.ts";
import { formatPlatform, hostPlatform, parsePlatform, platformMatches } from "../../../image/platform.ts";

type Raw = Record<string, any>;

interface Refusal {
  key: string;
  /** True when the service's setting cannot be honoured. */
  asks: (s: Service) => boolean;
  why: string;
}

const set = (v: unknown) => v !== undefined && v !== null && v !== "";

const refusals: Refusal[] = [
  { key: "pid", asks: (s) => set(s.pid) && s.pid !== "host" && !/^(container|service):./.test(String(s.pid)), why: "a container's PID namespace is its own, the host's or another container's (container:NAME, service:NAME)" },
  { key: "uts", asks: (s) => set(s.uts) && s.uts !== "host", why: "a container's UTS namespace is its own or the host's" },
  { key: "ipc", asks: (s) => set(s.ipc) && !["private", "shareable", "host", "none"].includes(String(s.ipc)) && !/^(container|service):./.test(String(s.ipc)), why: "a container's IPC namespace is its own, the host's or another container's (container:NAME, service:NAME)" },
  { key: "cgroup_parent", asks: (s) => set(s.cgroup_parent), why: "containers' cgroups are under the daemon's --cgroup-parent, not one of their own" },
  { key: "storage_opt", asks: (s) => set(s.storage_opt), why: "the overlay storage takes no per-container options (no size quota)" },
  { key: "cpu_rt_period", asks: (s) => set(s.cpu_rt_period), why: "the engine sets no real-time CPU period" },
  { key: "cpu_rt_runtime", asks: (s) => set(s.cpu_rt_runtime), why: "the engine sets no real-time CPU runtime" },
  { key: "cpu_count", asks: (s) => set(s.cpu_count), why: "it is a Windows container setting" },
  { key: "cpu_percent", asks: (s) => set(s.cpu_percent), why: "it is a Windows container setting" },
  { key: "credential_spec", asks: (s) => set(s.credential_spec), why: "it is a Windows container setting" },
  { key: "isolation", asks: (s) => set(s.isolation) && s.isolation !== "default", why: "Linux containers support only 'default' isolation" },
  { key: "volumes.volume.subpath", asks: (s) => (s.volumes ?? []).some((v) => set(v.volume?.subpath)), why: "the engine mounts a volume whole (no subpath)" },
  { key: "volumes.bind.recursive", asks: (s) => (s.volumes ?? []).some((v) => v.bind?.recursive === "writable" || v.bind?.recursive === "readonly"), why: "the engine has no read-only recursive bind modes (enabled or disabled only)" },
  { key: "networks.link_local_ips", asks: (s) => Object.values(s.networks ?? {}).some((n) => set((n as Raw | null)?.link_local_ips)), why: "the engine assigns no link-local addresses" },
  { key: "networks.interface_name", asks: (s) => Object.values(s.networks ?? {}).some((n) => set((n as Raw | null)?.interface_name)), why: "a container's interfaces are named eth0, eth1… by the engine" },
];

/** Throws at the first service (of `services`) that sets a key the engine cannot honour. */
export function checkEngineSupport(p: Project, services: string[]): void {
  for (const name of services) {
    const s = p.services[name];
    if (!s) continue;
    for (const r of refusals) {
      if (r.asks(s)) throw new ComposeError(`service "${name}": ${r.key} is not supported by berth: ${r.why}`);
    }
    if (set(s.platform)) {
      const host = hostPlatform();
      if (!platformMatches(parsePlatform(String(s.platform)), host)) {
        throw new ComposeError(`service "${name}": platform ${s.platform} is not supported by berth: it runs containers for ${formatPlatform(host)} only`);
      }
    }
  }
}

/** compose's warnings for what it ignores: uid, gid and mode of a secret or config bound from a file. */
export function ignoredKeyWarnings(p: Project, services: string[]): string[] {
  const out = new Set<string>();
  for (const name of services) {
    const s = p.services[name];
    for (const r of s?.secrets ?? []) {
      if (p.secrets[r.source]?.file && (set(r.uid) || set(r.gid) || r.mode !== undefined)) out.add("secrets `uid`, `gid` and `mode` are not supported, they will be ignored");
    }
    for (const r of s?.configs ?? []) {
      if (p.configs[r.source]?.file && (set(r.uid) || set(r.gid) || r.mode !== undefined)) out.add("config `uid`, `gid` and `mode` are not supported, they will be ignored");
    }
  }
  return [...out];
}
