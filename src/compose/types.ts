// The compose model after loading: every service in long syntax, as
// `compose config` prints it.

export interface PortConfig {
  mode?: string;
  host_ip?: string;
  target: number;
  published?: string;
  protocol: string;
  name?: string;
  app_protocol?: string;
}

export interface ServiceVolume {
  type: "volume" | "bind" | "tmpfs";
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { create_host_path?: boolean; propagation?: string; selinux?: string; recursive?: string };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number | string; mode?: number };
}

export interface DependsOn {
  condition: "service_started" | "service_healthy" | "service_completed_successfully";
  required: boolean;
  restart?: boolean;
}

export interface FileReference {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

/** A develop.watch rule: what changes under `path` do to the service's containers. */
export interface WatchTrigger {
  path: string;
  action: "rebuild" | "sync" | "restart" | "sync+restart" | "sync+exec";
  target?: string;
  ignore?: string[];
  include?: string[];
  initial_sync?: boolean;
  exec?: { command: string[]; user?: string; privileged?: boolean; working_dir?: string; environment?: Record<string, string | null> };
}

export interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string; dockerfile_inline?: string; args?: Record<string, string | null>; target?: string; labels?: Record<string, string>; cache_from?: string[]; secrets?: FileReference[] };
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  ports?: PortConfig[];
  expose?: string[];
  volumes?: ServiceVolume[];
  tmpfs?: string[];
  networks?: Record<string, {
    aliases?: string[]; ipv4_address?: string; ipv6_address?: string; mac_address?: string; priority?: number; gw_priority?: number;
    driver_opts?: Record<string, string>;
  } | null>;
  network_mode?: string;
  depends_on?: Record<string, DependsOn>;
  healthcheck?: { test?: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string; start_interval?: string; disable?: boolean };
  labels?: Record<string, string>;
  secrets?: FileReference[];
  configs?: FileReference[];
  profiles?: string[];
  deploy?: { replicas?: number; resources?: { limits?: { cpus?: string | number; memory?: string; pids?: number } } ; [k: string]: unknown };
  scale?: number;
  develop?: { watch?: WatchTrigger[] };
  [key: string]: unknown;
}

export interface Resource {
  name?: string;
  external?: boolean;
  driver?: string;
  driver_opts?: Record<string, string>;
  labels?: Record<string, string>;
  file?: string;
  environment?: string;
  content?: string;
  ipam?: { driver?: string; config?: { subnet?: string; gateway?: string; ip_range?: string }[] };
  internal?: boolean;
  [key: string]: unknown;
}

export interface Project {
  name: string;
  workingDir: string;
  configFiles: string[];
  services: Record<string, Service>;
  /** Services a profile leaves out: kept so that a dependency on one can be told apart from a typo. */
  disabled: Record<string, Service>;
  networks: Record<string, Resource>;
  volumes: Record<string, Resource>;
  secrets: Record<string, Resource>;
  configs: Record<string, Resource>;
  /** The variables the files were interpolated with (the environment over .env). */
  environment: Record<string, string>;
  warnings: string[];
}
