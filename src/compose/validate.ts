// The checks compose's JSON schema makes on each file, with its wording:
// "validating FILE: services.web additional properties 'x' not allowed",
// "… services.web.ports must be a list". x- extensions are allowed wherever
// the schema allows them (top level, services, networks, volumes, …).
import { ComposeError } from "./errors.ts";

const topLevel = ["version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models"];

const serviceKeys = [
  "annotations", "attach", "blkio_config", "build", "cap_add", "cap_drop", "cgroup", "cgroup_parent", "command", "configs",
  "container_name", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares",
  "cpus", "cpuset", "credential_spec", "depends_on", "deploy", "develop", "device_cgroup_rules", "devices", "dns", "dns_opt",
  "dns_search", "domainname", "entrypoint", "env_file", "environment", "expose", "extends", "external_links", "extra_hosts",
  "gpus", "group_add", "healthcheck", "hostname", "image", "init", "ipc", "isolation", "labels", "label_file", "links", "logging",
  "mac_address", "mem_limit", "mem_reservation", "mem_swappiness", "memswap_limit", "network_mode", "networks", "oom_kill_disable",
  "oom_score_adj", "pid", "pids_limit", "platform", "ports", "post_start", "pre_stop", "privileged", "profiles", "pull_policy",
  "read_only", "restart", "runtime", "scale", "secrets", "security_opt", "shm_size", "stdin_open", "stop_grace_period",
  "stop_signal", "storage_opt", "sysctls", "tmpfs", "tty", "ulimits", "user", "userns_mode", "uts", "volumes", "volumes_from",
  "working_dir",
];

type Kind = string; // "string", "list|mapping": the kinds a value may have

/** The service keys whose type compose's schema fixes, and which type. */
const serviceTypes: Record<string, Kind> = {
  image: "string", build: "string|mapping", command: "string|list", entrypoint: "string|list", environment: "list|mapping",
  env_file: "string|list", ports: "list", expose: "list", volumes: "list", tmpfs: "string|list", networks: "list|mapping",
  network_mode: "string", depends_on: "list|mapping", healthcheck: "mapping", restart: "string", deploy: "mapping",
  user: "string", working_dir: "string", hostname: "string", domainname: "string", labels: "list|mapping", init: "boolean",
  read_only: "boolean", privileged: "boolean", cap_add: "list", cap_drop: "list", security_opt: "list", stop_signal: "string",
  stop_grace_period: "string", ulimits: "mapping", sysctls: "list|mapping", extra_hosts: "list|mapping", dns: "string|list",
  logging: "mapping", secrets: "list", configs: "list", profiles: "list", container_name: "string", extends: "string|mapping",
  tty: "boolean", stdin_open: "boolean", scale: "number", pids_limit: "number|string", mem_limit: "string|number", cpus: "number|string",
};

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return "list";
  if (v === null) return "null";
  if (typeof v === "object") return "mapping";
  return typeof v;
}

function article(kind: string): string {
  return kind.split("|").map((k) => (k === "list" || k === "mapping" ? `a ${k}` : k === "boolean" ? "a boolean" : k === "number" ? "a number" : "a string")).join(" or ");
}

function check(file: string, path: string, v: unknown, kind: Kind): void {
  if (v === null || v === undefined) return; // null resets a key, as the spec allows
  if (!kind.split("|").includes(kindOf(v))) throw new ComposeError(`validating ${file}: ${path} must be ${article(kind)}`);
}

function unknownKeys(file: string, path: string, obj: Record<string, unknown>, allowed: string[]): void {
  const bad = Object.keys(obj).filter((k) => !allowed.includes(k) && !k.startsWith("x-"));
  if (bad.length) throw new ComposeError(`validating ${file}: ${path ? `${path} ` : ""}additional properties ${bad.map((b) => `'${b}'`).join(", ")} not allowed`);
}

const resourceKeys: Record<string, string[]> = {
  networks: ["name", "driver", "driver_opts", "ipam", "external", "internal", "attachable", "enable_ipv6", "enable_ipv4", "labels"],
  volumes: ["name", "driver", "driver_opts", "external", "labels"],
  secrets: ["name", "file", "environment", "content", "external", "labels", "driver", "driver_opts", "template_driver"],
  configs: ["name", "file", "environment", "content", "external", "labels", "template_driver"],
};

/** Checks one parsed (and interpolated) file. */
export function validateFile(file: string, doc: unknown): void {
  if (doc === null || doc === undefined) throw new ComposeError(`${file}: empty compose file`);
  if (kindOf(doc) !== "mapping") throw new ComposeError(`validating ${file}: top-level object must be a mapping`);
  const root = doc as Record<string, unknown>;
  unknownKeys(file, "", root, topLevel);
  check(file, "services", root.services, "mapping");
  for (const section of ["networks", "volumes", "secrets", "configs"]) {
    check(file, section, root[section], "mapping");
    for (const [name, def] of Object.entries((root[section] ?? {}) as Record<string, unknown>)) {
      check(file, `${section}.${name}`, def, "mapping");
      if (def) unknownKeys(file, `${section}.${name}`, def as Record<string, unknown>, resourceKeys[section]!);
    }
  }
  for (const [name, svc] of Object.entries((root.services ?? {}) as Record<string, unknown>)) {
    const path = `services.${name}`;
    if (svc === null) continue; // an override may name a service only
    check(file, path, svc, "mapping");
    const s = svc as Record<string, unknown>;
    unknownKeys(file, path, s, serviceKeys);
    for (const [key, kind] of Object.entries(serviceTypes)) check(file, `${path}.${key}`, s[key], kind);
    if (s.depends_on && !Array.isArray(s.depends_on)) {
      for (const [dep, spec] of Object.entries(s.depends_on as Record<string, unknown>)) {
        check(file, `${path}.depends_on.${dep}`, spec, "mapping");
        const cond = (spec as { condition?: string } | null)?.condition;
        if (cond !== undefined && !["service_started", "service_healthy", "service_completed_successfully"].includes(cond)) {
          throw new ComposeError(`validating ${file}: ${path}.depends_on.${dep}.condition must be one of "service_started", "service_healthy", "service_completed_successfully"`);
        }
      }
    }
    checkWatchRules(file, path, s.develop);
    if (Array.isArray(s.ports)) s.ports.forEach((p, i) => check(file, `${path}.ports.${i}`, p, "string|number|mapping"));
    if (Array.isArray(s.volumes)) s.volumes.forEach((p, i) => check(file, `${path}.volumes.${i}`, p, "string|mapping"));
  }
}

const watchActions = ["rebuild", "sync", "restart", "sync+restart", "sync+exec"];

/** develop.watch: each rule a mapping with a path and one of the Compose Specification's actions. */
function checkWatchRules(file: string, path: string, develop: unknown): void {
  check(file, `${path}.develop`, develop, "mapping");
  const rules = (develop as { watch?: unknown } | undefined)?.watch;
  check(file, `${path}.develop.watch`, rules, "list");
  for (const [i, rule] of ((rules ?? []) as unknown[]).entries()) {
    const where = `${path}.develop.watch.${i}`;
    check(file, where, rule, "mapping");
    const r = rule as Record<string, unknown>;
    if (r.path === undefined || r.path === null) throw new ComposeError(`validating ${file}: ${where} missing property 'path'`);
    check(file, `${where}.path`, r.path, "string");
    if (!watchActions.includes(r.action as string)) throw new ComposeError(`validating ${file}: ${where}.action must be one of ${watchActions.map((a) => `"${a}"`).join(", ")}`);
    for (const k of ["ignore", "include"]) check(file, `${where}.${k}`, r[k], "string|list");
  }
}
