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
}

export const defaultSocket = "/run/berth/berth.sock";

export function defaultConfig(): DaemonConfig {
  const dataRoot = process.env.BERTH_DATA_ROOT || "/var/lib/berth";
  const execRoot = process.env.BERTH_EXEC_ROOT || "/run/berth";
  return {
    dataRoot, execRoot, hosts: [], pidfile: "", logLevel: "info", tls: false, tlsVerify: false,
    insecureRegistries: [], registryMirrors: [],
  };
}

const fileKeys: Record<string, keyof DaemonConfig> = {
  "data-root": "dataRoot", "exec-root": "execRoot", hosts: "hosts", pidfile: "pidfile", "log-level": "logLevel",
  tls: "tls", tlsverify: "tlsVerify", tlscacert: "tlsCaCert", tlscert: "tlsCert", tlskey: "tlsKey",
  "insecure-registries": "insecureRegistries", "registry-mirrors": "registryMirrors",
};

/** Applies daemon.json under the flags; `given` names the flags set on the command line. */
export function mergeConfigFile(cfg: DaemonConfig, path: string, given: Set<keyof DaemonConfig>): DaemonConfig {
  if (!existsSync(path)) return cfg;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`unable to configure the daemon with file ${path}: ${(e as Error).message}`);
  }
  const conflicts: string[] = [];
  const out = { ...cfg } as Record<string, unknown>;
  for (const [k, v] of Object.entries(doc)) {
    const key = fileKeys[k];
    if (!key) throw new Error(`unable to configure the daemon with file ${path}: the following directives don't match any configuration option: ${k}`);
    if (given.has(key)) conflicts.push(`${k}: (from flag: ${JSON.stringify(cfg[key])}, from file: ${JSON.stringify(v)})`);
    else out[key] = v;
  }
  if (conflicts.length) {
    throw new Error(`unable to configure the daemon with file ${path}: the following directives are specified both as a flag and in the configuration file: ${conflicts.join(", ")}`);
  }
  return out as unknown as DaemonConfig;
}
