// The daemon's configuration: dockerd's flag names, merged with a daemon.json
// (`--config-file`). A setting given both ways is an error, as in dockerd.
import { existsSync, readFileSync } from "node:fs";

export interface DaemonConfig {
  dataRoot: string;
  execRoot: string;
  hosts: string[];
  pidfile: string;
  logLevel: string;
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureRegistries: string[];
  registryMirrors: string[];
  /** `--tls=false` given explicitly: plain TCP beyond loopback is accepted (as dockerd 28 asks). */
  allowInsecureTcp?: boolean;
  /** `-D` / "debug": true — same as log-level debug. */
  debug?: boolean;
  /** Layers downloaded (pull) and uploaded (push) at once, as dockerd's flags of the same names. */
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  /** What walks and hashes layers: Bun's built-ins and TypeScript, or the Rust→WASM components (src/layer/engine.ts). */
  layerEngine: "native" | "wasm";
  /** Per-registry TLS folders (<dir>/<host:port>/ca.crt, client.cert, client.key), as dockerd's certs.d. */
  certsDirs: string[];
  /** dockerd's --cgroup-parent: the cgroup every container is made in, under each controller's root. */
  cgroupParent: string;
  /** dockerd's --bridge (-b): "none" leaves the default bridge network out (no host interface is made). */
  bridge?: string;
  /** dockerd's --group (-G): the group of the unix socket (default "docker" where the host has it). */
  group?: string;
  /** dockerd's --dns: the resolvers containers get (the embedded DNS of user networks forwards to them). */
  dns?: string[];
  /** dockerd's --iptables: false leaves the firewall (nf_tables) alone. */
  iptables?: boolean;
  /** dockerd's --host-gateway-ip: the address `--add-host NAME:host-gateway` maps to. */
  hostGatewayIp?: string;
  /** dockerd's --seccomp-profile: "builtin" (the default), "unconfined" or a JSON profile's path, for containers that name none. */
  seccompProfile?: string;
  /** dockerd's --no-new-privileges: containers run with no_new_privs unless they say no-new-privileges=false. */
  noNewPrivileges?: boolean;
  /** dockerd's --userns-remap: default | user[:group] | uid[:gid], whose subordinate ids containers run as. */
  usernsRemap?: string;
  /** dockerd's --oom-score-adjust: the daemon's own oom_score_adj (0 leaves it as it is); its shims take one more, as containerd's do. */
  oomScoreAdjust: number;
  /** dockerd's --default-ipc-mode: the IpcMode of a container that names none ("private" or "shareable"). */
  defaultIpcMode: string;
}

export { defaultSocket, defaultSocketPath } from "./default-socket.ts";
export const defaultConfigFile = "/etc/berth/daemon.json";

export function defaultConfig(): DaemonConfig {
  const dataRoot = process.env.BERTH_DATA_ROOT || "/var/lib/berth";
  const execRoot = process.env.BERTH_EXEC_ROOT || "/run/berth";
  return {
    dataRoot, execRoot, hosts: [], pidfile: "", logLevel: "info", tls: false, tlsVerify: false,
    insecureRegistries: [], registryMirrors: [], maxConcurrentDownloads: 3, maxConcurrentUploads: 5, cgroupParent: "berth", layerEngine: "native",
    oomScoreAdjust: -500, defaultIpcMode: "private",
    // BERTH_CERTS_D (colon-separated) replaces the defaults, so tests and rootless setups need not write /etc.
    certsDirs: process.env.BERTH_CERTS_D ? process.env.BERTH_CERTS_D.split(":").filter(Boolean) : ["/etc/berth/certs.d", "/etc/docker/certs.d"],
  };
}

type Kind = "string" | "bool" | "strings" | "count" | "int";

/** daemon.json key → config field and the JSON type dockerd accepts there. */
const fileKeys: Record<string, [keyof DaemonConfig, Kind]> = {
  "data-root": ["dataRoot", "string"], "exec-root": ["execRoot", "string"], hosts: ["hosts", "strings"],
  pidfile: ["pidfile", "string"], "log-level": ["logLevel", "string"], debug: ["debug", "bool"],
  tls: ["tls", "bool"], tlsverify: ["tlsVerify", "bool"], tlscacert: ["tlsCaCert", "string"],
  tlscert: ["tlsCert", "string"], tlskey: ["tlsKey", "string"],
  "insecure-registries": ["insecureRegistries", "strings"], "registry-mirrors": ["registryMirrors", "strings"],
  "max-concurrent-downloads": ["maxConcurrentDownloads", "count"], "max-concurrent-uploads": ["maxConcurrentUploads", "count"],
  "cgroup-parent": ["cgroupParent", "string"],
  "layer-engine": ["layerEngine", "string"],
  bridge: ["bridge", "string"], dns: ["dns", "strings"], group: ["group", "string"], iptables: ["iptables", "bool"], "host-gateway-ip": ["hostGatewayIp", "string"],
  "seccomp-profile": ["seccompProfile", "string"], "no-new-privileges": ["noNewPrivileges", "bool"],
  "userns-remap": ["usernsRemap", "string"], "oom-score-adjust": ["oomScoreAdjust", "int"],
  "default-ipc-mode": ["defaultIpcMode", "string"],
};

const logLevels = ["debug", "info", "warn", "error", "fatal"];

/** Go's %v of a JSON value, as dockerd prints it in messages. */
function goValue(v: unknown): string {
  return Array.isArray(v) ? `[${v.map(goValue).join(" ")}]` : String(v);
}

const kindWords: Record<Kind, string> = { string: "a string", bool: "a boolean", strings: "a list of strings", count: "a positive integer", int: "an integer" };

function checkKind(v: unknown, kind: Kind): boolean {
  if (kind === "string") return typeof v === "string";
  if (kind === "bool") return typeof v === "boolean";
  if (kind === "count") return Number.isInteger(v) && (v as number) > 0;
  if (kind === "int") return Number.isInteger(v);
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/** Applies daemon.json under the flags; `given` names the fields set on the command line. */
export function mergeConfigFile(cfg: DaemonConfig, path: string, given: Set<keyof DaemonConfig>, mustExist = false): DaemonConfig {
  const fail = (why: string) => new Error(`unable to configure the daemon with file ${path}: ${why}`);
  if (!existsSync(path)) {
    if (mustExist) throw fail("open: no such file or directory");
    return validate(cfg);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw fail("the file does not hold a JSON object");
  const unknown = Object.keys(doc).filter((k) => !(k in fileKeys));
  if (unknown.length) throw fail(`the following directives don't match any configuration option: ${unknown.join(", ")}`);
  const conflicts: string[] = [];
  const out = { ...cfg } as Record<string, unknown>;
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const [key, kind] = fileKeys[k]!;
    if (!checkKind(v, kind)) throw fail(`"${k}" must be ${kindWords[kind]}`);
    if (given.has(key)) {
      conflicts.push(`${k}: (from flag: ${goValue(cfg[key])}, from file: ${goValue(v)})`);
      continue;
    }
    if (key === "tls" && v === false) out.allowInsecureTcp = true;
    out[key] = v;
  }
  if (conflicts.length) {
    throw fail(`the following directives are specified both as a flag and in the configuration file: ${conflicts.join(", ")}`);
  }
  return validate(out as unknown as DaemonConfig);
}

/** Checks that cannot wait for the first request. */
export function validate(cfg: DaemonConfig): DaemonConfig {
  if (cfg.debug) cfg.logLevel = "debug";
  if (!logLevels.includes(cfg.logLevel)) throw new Error(`unable to parse logging level: ${cfg.logLevel}`);
  for (const [k, v] of [["max-concurrent-downloads", cfg.maxConcurrentDownloads], ["max-concurrent-uploads", cfg.maxConcurrentUploads]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`invalid ${k}: ${v} (a positive integer)`);
  }
  if (cfg.layerEngine !== "native" && cfg.layerEngine !== "wasm") {
    throw new Error(`invalid layer-engine ${JSON.stringify(cfg.layerEngine)}: must be "native" or "wasm"`);
  }
  if ((cfg.tls || cfg.tlsVerify) && cfg.hosts.some((h) => h.startsWith("tcp://")) && (!cfg.tlsCert || !cfg.tlsKey)) {
    throw new Error("TLS needs --tlscert and --tlskey (and --tlscacert with --tlsverify)");
  }
  if (cfg.tlsVerify && cfg.hosts.some((h) => h.startsWith("tcp://")) && !cfg.tlsCaCert) {
    throw new Error("--tlsverify needs --tlscacert to verify clients against");
  }
  if (!Number.isInteger(cfg.oomScoreAdjust) || cfg.oomScoreAdjust < -1000 || cfg.oomScoreAdjust > 1000) {
    throw new Error(`invalid oom-score-adjust: ${cfg.oomScoreAdjust} (an integer from -1000 to 1000)`);
  }
  // dockerd's words; host, none and container: are not defaults it takes.
  if (!["private", "shareable"].includes(cfg.defaultIpcMode)) {
    const valid = ["", "host", "none"].includes(cfg.defaultIpcMode) || /^container:./.test(cfg.defaultIpcMode);
    throw new Error(valid ? `IPC mode "${cfg.defaultIpcMode}" is not supported as default value; use "shareable" or "private"` : `default IPC mode setting (${cfg.defaultIpcMode}) is invalid; use "shareable" or "private"`);
  }
  cfg.cgroupParent = cgroupParentPath(cfg.cgroupParent);
  for (const h of cfg.hosts) {
    if (!/^(unix|tcp):\/\//.test(h) && !h.startsWith("/")) throw new Error(`invalid daemon address ${h}: want unix:///path or tcp://host:port`);
  }
  return cfg;
}

/**
 * A cgroup parent as a path under each controller's root: "/a/b" and "a/b/" are "a/b", empty
 * is the default (berth drives cgroupfs, so a name like "x.slice" is a plain directory too).
 */
function cgroupParentPath(value: string): string {
  const path = value.split("/").filter(Boolean).join("/");
  if (!path) return "berth";
  if (path.split("/").some((p) => p === "." || p === "..")) throw new Error(`invalid cgroup-parent ${value}: a path below the cgroup root, without . or ..`);
  return path;
}

/** Flags as parsed by the CLI (dockerd's names) → config, merged with daemon.json. */
export function configFromFlags(f: Record<string, any>, given: Set<string>): DaemonConfig {
  const cfg = defaultConfig();
  const set = new Set<keyof DaemonConfig>();
  const take = (flag: string, key: keyof DaemonConfig) => {
    if (!given.has(flag)) return;
    (cfg as any)[key] = f[flag];
    set.add(key);
  };
  take("data-root", "dataRoot");
  take("exec-root", "execRoot");
  take("host", "hosts");
  take("pidfile", "pidfile");
  take("tls", "tls");
  take("tlsverify", "tlsVerify");
  take("tlscacert", "tlsCaCert");
  take("tlscert", "tlsCert");
  take("tlskey", "tlsKey");
  take("insecure-registry", "insecureRegistries");
  take("registry-mirror", "registryMirrors");
  take("max-concurrent-downloads", "maxConcurrentDownloads");
  take("max-concurrent-uploads", "maxConcurrentUploads");
  take("layer-engine", "layerEngine");
  take("log-level", "logLevel");
  take("debug", "debug");
  take("cgroup-parent", "cgroupParent");
  take("bridge", "bridge");
  take("dns", "dns");
  take("group", "group");
  take("iptables", "iptables");
  take("host-gateway-ip", "hostGatewayIp");
  take("seccomp-profile", "seccompProfile");
  take("no-new-privileges", "noNewPrivileges");
  take("userns-remap", "usernsRemap");
  take("oom-score-adjust", "oomScoreAdjust");
  take("default-ipc-mode", "defaultIpcMode");
  if (given.has("tls") && f.tls === false) cfg.allowInsecureTcp = true;
  if (cfg.tlsVerify) cfg.tls = true;
  const file = f["config-file"] || defaultConfigFile;
  return mergeConfigFile(cfg, file, set, given.has("config-file"));
}
