// Type checks of a `POST /containers/create` body against the spec's types,
// before anything is stored: a wrong type is a 400 naming the field, in the
// words dockerd's JSON decoder uses ("json: cannot unmarshal string into Go
// struct field Config.Env of type []string"), not a value stored half-parsed
// (Env "A=B" kept as ["A","=","B"]) or a number that breaks inspect later.
import { InvalidParameterError } from "../../errors.ts";

type Kind = "string" | "bool" | "int" | "duration" | "strings" | "stringOrStrings" | "stringMap" | "object" | "objects";

const goType: Record<Kind, string> = {
  string: "string", bool: "bool", int: "int64", duration: "time.Duration", strings: "[]string", stringOrStrings: "strslice.StrSlice",
  stringMap: "map[string]string", object: "struct", objects: "[]struct",
};

const config: Record<string, Kind> = {
  Hostname: "string", Domainname: "string", User: "string", Image: "string", WorkingDir: "string", StopSignal: "string",
  MacAddress: "string", AttachStdin: "bool", AttachStdout: "bool", AttachStderr: "bool", Tty: "bool", OpenStdin: "bool",
  StdinOnce: "bool", NetworkDisabled: "bool", ArgsEscaped: "bool", StopTimeout: "int", Env: "strings",
  Cmd: "stringOrStrings", Entrypoint: "stringOrStrings", Shell: "strings", OnBuild: "strings", Labels: "stringMap",
  ExposedPorts: "object", Volumes: "object", Healthcheck: "object", HostConfig: "object", NetworkingConfig: "object",
};

const hostConfig: Record<string, Kind> = {
  Memory: "int", MemorySwap: "int", MemoryReservation: "int", KernelMemory: "int", NanoCpus: "int", CpuShares: "int",
  CpuQuota: "int", CpuPeriod: "int", CpuRealtimePeriod: "int", CpuRealtimeRuntime: "int", PidsLimit: "int", ShmSize: "int",
  OomScoreAdj: "int", BlkioWeight: "int", MemorySwappiness: "int", CpusetCpus: "string", CpusetMems: "string",
  NetworkMode: "string", IpcMode: "string", PidMode: "string", UTSMode: "string", UsernsMode: "string", CgroupnsMode: "string",
  CgroupParent: "string", Runtime: "string", VolumeDriver: "string", Isolation: "string",
  Privileged: "bool", ReadonlyRootfs: "bool", AutoRemove: "bool", PublishAllPorts: "bool", OomKillDisable: "bool",
  Binds: "strings", CapAdd: "strings", CapDrop: "strings", SecurityOpt: "strings", Dns: "strings", DnsOptions: "strings",
  DnsSearch: "strings", ExtraHosts: "strings", GroupAdd: "strings", Links: "strings", VolumesFrom: "strings",
  DeviceCgroupRules: "strings", MaskedPaths: "strings", ReadonlyPaths: "strings", Tmpfs: "stringMap", Sysctls: "stringMap",
  StorageOpt: "stringMap", LogConfig: "object", RestartPolicy: "object", PortBindings: "object",
  Devices: "objects", Ulimits: "objects", Mounts: "objects", DeviceRequests: "objects",
};

const healthConfig: Record<string, Kind> = {
  Test: "stringOrStrings", Interval: "duration", Timeout: "duration", StartPeriod: "duration", StartInterval: "duration", Retries: "int",
};

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  return typeof v === "boolean" ? "bool" : typeof v;
}

function fits(kind: Kind, v: unknown): boolean {
  if (v === null || v === undefined) return true; // Go decodes null as the zero value
  const isObject = typeof v === "object" && !Array.isArray(v);
  switch (kind) {
    case "string": return typeof v === "string";
    case "bool": return typeof v === "boolean";
    // int64: whole and within the range a double holds exactly (1e308 is not an int64).
    case "int":
    case "duration": return typeof v === "number" && Number.isSafeInteger(v);
    case "strings": return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "stringOrStrings": return typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"));
    case "stringMap": return isObject && Object.values(v as object).every((x) => typeof x === "string");
    case "object": return isObject;
    case "objects": return Array.isArray(v) && v.every((x) => x !== null && typeof x === "object" && !Array.isArray(x));
  }
}

function checkFields(body: Record<string, unknown>, fields: Record<string, Kind>, struct: string): void {
  for (const [name, kind] of Object.entries(fields)) {
    const v = body[name];
    if (fits(kind, v)) continue;
    const got = typeof v === "number" && (kind === "int" || kind === "duration") ? `number ${v}` : jsonKind(v);
    throw new InvalidParameterError(`json: cannot unmarshal ${got} into Go struct field ${struct}.${name} of type ${goType[kind]}`);
  }
}

/** Throws InvalidParameterError at the first field of the wrong type. */
export function checkCreateBody(body: Record<string, unknown>): void {
  checkFields(body, config, "Config");
  const health = body.Healthcheck as Record<string, unknown> | undefined;
  if (health) checkFields(health, healthConfig, "Config.Healthcheck");
  const hc = body.HostConfig as Record<string, unknown> | undefined;
  if (hc) checkFields(hc, hostConfig, "HostConfig");
}

/** `POST /containers/{id}/update`: the resource fields at the top level. */
export function checkUpdateBody(body: Record<string, unknown>): void {
  checkFields(body, hostConfig, "UpdateConfig");
}
