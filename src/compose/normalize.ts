// Short syntax into long, the way `compose config` shows a service: ports,
// volumes, depends_on, environment, labels, build, command and the rest. Paths
// are made absolute against the directory the file's paths are relative to.
import { isAbsolute, join, resolve } from "node:path";
import { parsePortSpec } from "../shared/port-spec.ts";
import { ComposeError } from "./errors.ts";
import { splitShellWords } from "../shared/shell-words.ts";
import type { FileReference, PortConfig, Service, ServiceVolume } from "./types.ts";

type Raw = Record<string, any>;

/** `["A=1", "B"]` or `{A: 1, B: null}` → {A: "1", B: null}; numbers and booleans become strings. */
export function keyValueMap(v: unknown, sep = "="): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf(sep);
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
  } else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) out[k] = x === null || x === undefined ? null : String(x);
  }
  return out;
}

function stringMap(v: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(keyValueMap(v)).map(([k, x]) => [k, x ?? ""]));
}

export function hostPath(p: string, baseDir: string): string {
  if (p.startsWith("~")) return join(process.env.HOME || "/root", p.slice(1));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function isPath(s: string): boolean {
  return s.startsWith("/") || s.startsWith(".") || s.startsWith("~");
}

export function parsePorts(list: unknown[], where: string): PortConfig[] {
  const out: PortConfig[] = [];
  for (const p of list) {
    if (p && typeof p === "object") {
      const l = p as Raw;
      out.push(dropUndefined({
        name: l.name, mode: l.mode ?? "ingress", host_ip: l.host_ip, target: Number(l.target),
        published: l.published === undefined || l.published === null ? undefined : String(l.published),
        protocol: l.protocol ?? "tcp", app_protocol: l.app_protocol,
      }));
      continue;
    }
    let specs;
    try {
      specs = parsePortSpec(String(p));
    } catch (e) {
      throw new ComposeError(`${where}: ${(e as Error).message}`);
    }
    for (const { port, binding } of specs) {
      const [target, protocol] = port.split("/");
      out.push(dropUndefined({ mode: "ingress", host_ip: binding.HostIp || undefined, target: Number(target), published: binding.HostPort || undefined, protocol: protocol! }));
    }
  }
  return out;
}

function parseVolume(v: unknown, baseDir: string, where: string): ServiceVolume {
  if (v && typeof v === "object") {
    const l = { ...(v as Raw) } as ServiceVolume;
    if (!l.type) throw new ComposeError(`${where} must have a type`);
    if (!l.target) throw new ComposeError(`${where}: invalid mount config for type "${l.type}": field Target must not be empty`);
    if (l.type === "bind" && l.source) {
      l.source = hostPath(l.source, baseDir);
      l.bind = { create_host_path: true, ...(l.bind ?? {}) };
    }
    return l;
  }
  const s = String(v);
  const parts = s.split(":");
  if (parts.length === 1) return { type: "volume", target: s };
  if (parts.length > 3 || !parts[0] || !parts[1]) throw new ComposeError(`invalid spec: ${s}: too many colons`);
  const [source, target, mode = ""] = parts as [string, string, string?];
  const opts = mode.split(",").filter(Boolean);
  const readOnly = opts.includes("ro");
  if (isPath(source)) {
    // z/Z and a propagation mode in the short syntax are the bind's selinux and propagation.
    const selinux = opts.find((o) => o === "z" || o === "Z");
    const propagation = opts.find((o) => /^r?(private|slave|shared)$/.test(o));
    const bind = dropUndefined({ create_host_path: true, selinux, propagation });
    return dropUndefined({ type: "bind" as const, source: hostPath(source, baseDir), target, read_only: readOnly || undefined, bind });
  }
  return dropUndefined({ type: "volume" as const, source, target, read_only: readOnly || undefined, volume: opts.includes("nocopy") ? { nocopy: true } : undefined });
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function command(v: unknown): string[] | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  return typeof v === "string" ? splitShellWords(v, (m) => new ComposeError(`invalid command line string: ${m}`)) : (v as unknown[]).map(String);
}

function fileRefs(list: unknown[] | undefined, secrets: boolean): FileReference[] | undefined {
  if (!list) return undefined;
  return list.map((r) => {
    const ref = typeof r === "string" ? { source: r } : { ...(r as FileReference) };
    if (secrets && ref.target && !ref.target.startsWith("/")) ref.target = `/run/secrets/${ref.target}`;
    return ref;
  });
}

/** A post_start or pre_stop hook: its command as a list, its environment as a map. */
function hook(h: Raw, where: string): Raw {
  if (!h || typeof h !== "object" || h.command === undefined || h.command === null) throw new ComposeError(`validating ${where}: command is required`);
  const out: Raw = { ...h, command: command(h.command) };
  if (h.environment !== undefined) out.environment = keyValueMap(h.environment);
  return out;
}

function duration(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === "number" ? `${v}s` : String(v);
}

/** One service of one file in long syntax (keys the file did not set stay unset, so that merging sees only what was written). */
export function normalizeService(name: string, raw: Raw | null, baseDir: string): Service {
  const s: Raw = { ...(raw ?? {}) };
  const where = `services.${name}`;
  if (s.build !== undefined && s.build !== null) {
    const b = typeof s.build === "string" ? { context: s.build } : { ...s.build };
    b.context = b.context ?? ".";
    if (!/^[a-z]+:\/\//.test(b.context)) b.context = hostPath(b.context, baseDir);
    if (!b.dockerfile_inline) b.dockerfile = b.dockerfile ?? "Dockerfile";
    if (b.args !== undefined) b.args = keyValueMap(b.args);
    if (b.labels !== undefined) b.labels = stringMap(b.labels);
    // A build secret's target is the id the Dockerfile mounts it by (RUN --mount=type=secret,id=…).
    if (b.secrets) b.secrets = fileRefs(b.secrets, false);
    s.build = b;
  }
  if ("command" in s) s.command = command(s.command);
  if ("entrypoint" in s) s.entrypoint = command(s.entrypoint);
  if (s.environment !== undefined) s.environment = keyValueMap(s.environment);
  if (s.env_file !== undefined) {
    s.env_file = (Array.isArray(s.env_file) ? s.env_file : [s.env_file]).map((e: unknown) => {
      const spec: Raw = typeof e === "string" ? { path: e } : { ...(e as Raw) };
      return { path: hostPath(String(spec.path), baseDir), required: spec.required ?? true };
    });
  }
  if (s.labels !== undefined) s.labels = stringMap(s.labels);
  if (s.ports) s.ports = parsePorts(s.ports, `${where}.ports`);
  if (s.expose) s.expose = s.expose.map(String);
  if (s.volumes) s.volumes = s.volumes.map((v: unknown, i: number) => parseVolume(v, baseDir, `${where}.volumes.${i}`));
  if (typeof s.tmpfs === "string") s.tmpfs = [s.tmpfs];
  if (typeof s.dns === "string") s.dns = [s.dns];
  if (Array.isArray(s.networks)) s.networks = Object.fromEntries(s.networks.map((n: string) => [n, null]));
  if (s.depends_on) {
    const deps = Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d: string) => [d, {}])) : s.depends_on;
    s.depends_on = Object.fromEntries(Object.entries(deps).map(([d, spec]) => [d, { condition: "service_started", required: true, ...((spec as Raw) ?? {}) }]));
  }
  if (s.sysctls !== undefined) s.sysctls = stringMap(s.sysctls);
  if (s.extra_hosts && !Array.isArray(s.extra_hosts)) s.extra_hosts = Object.entries(s.extra_hosts).map(([h, ip]) => `${h}=${ip}`);
  if (s.healthcheck) {
    const h = { ...s.healthcheck };
    if (typeof h.test === "string") h.test = ["CMD-SHELL", h.test];
    for (const k of ["interval", "timeout", "start_period", "start_interval"]) if (h[k] !== undefined) h[k] = duration(h[k]);
    s.healthcheck = h;
  }
  if (s.stop_grace_period !== undefined) s.stop_grace_period = duration(s.stop_grace_period);
  if (s.secrets) s.secrets = fileRefs(s.secrets, true);
  if (s.configs) s.configs = fileRefs(s.configs, false);
  if (s.ulimits) {
    s.ulimits = Object.fromEntries(Object.entries(s.ulimits).map(([k, v]) => [k, typeof v === "object" ? v : { soft: Number(v), hard: Number(v) }]));
  }
  if (s.extends !== undefined && typeof s.extends === "string") s.extends = { service: s.extends };
  if (s.label_file !== undefined) s.label_file = (Array.isArray(s.label_file) ? s.label_file : [s.label_file]).map((f: unknown) => hostPath(String(f), baseDir));
  if (s.annotations !== undefined) s.annotations = stringMap(s.annotations);
  for (const k of ["post_start", "pre_stop"]) if (Array.isArray(s[k])) s[k] = s[k].map((h: Raw) => hook(h, `${where}.${k}`));
  // develop.watch: each rule's path made absolute (as `compose config` shows it), its exec a hook.
  if (Array.isArray(s.develop?.watch)) {
    s.develop = {
      ...s.develop,
      watch: s.develop.watch.map((w: Raw, i: number) => ({
        ...w, path: hostPath(String(w.path), baseDir),
        ...(typeof w.ignore === "string" ? { ignore: [w.ignore] } : {}), ...(typeof w.include === "string" ? { include: [w.include] } : {}),
        ...(w.exec ? { exec: hook(w.exec, `${where}.develop.watch.${i}.exec`) } : {}),
      })),
    };
  }
  return s as Service;
}

/** A top-level resource section's entries: null → {}; files made absolute. */
export function normalizeResources(section: string, raw: Record<string, any> | undefined, baseDir: string): Record<string, Raw> {
  const out: Record<string, Raw> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    const r: Raw = { ...(v ?? {}) };
    if (r.external && typeof r.external === "object") {
      // The old `external: {name: x}` spelling.
      r.name = r.external.name ?? r.name;
      r.external = true;
    }
    if (r.labels !== undefined) r.labels = stringMap(r.labels);
    if ((section === "secrets" || section === "configs") && r.file) r.file = hostPath(r.file, baseDir);
    out[k] = r;
  }
  return out;
}
