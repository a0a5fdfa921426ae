// A container's mount points from its HostConfig (`Binds`, `Mounts`, `Tmpfs`)
// with Docker's parsing rules and messages. Volumes named here are only
// named: creating them is the volume service's work (container-mounts.ts).
import { posix } from "node:path";
import { InvalidParameterError } from "../../errors.ts";
import { checkVolumeName } from "./names.ts";

/** Docker's MountPoint as inspect shows it, plus what berth needs to make it. */
export interface MountPoint {
  Type: "bind" | "volume" | "tmpfs";
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Copy the image's content at the destination into a new (empty) volume. */
  copyData?: boolean;
  /** `-v /host:/ctr` makes a missing host directory; `--mount` refuses one. */
  createSource?: boolean;
  nonRecursive?: boolean;
  /** tmpfs mount options (size=…, mode=…, noexec…). */
  tmpfsOptions?: string[];
  /** Driver options and labels for a named volume created on first use (`--mount volume-opt=…`). */
  volumeOptions?: Record<string, string>;
  volumeLabels?: Record<string, string>;
  /** From HostConfig.Tmpfs: made at start, not listed in inspect's Mounts (as in Docker). */
  hidden?: boolean;
}

const rwModes = new Set(["rw", "ro", "ro-non-recursive", "ro-force-recursive", "rro"]);
const labelModes = new Set(["z", "Z"]);
export const propagationModes = new Set(["private", "rprivate", "slave", "rslave", "shared", "rshared"]);
const consistencyModes = new Set(["consistent", "cached", "delegated"]);

/** Docker's rule: each option known, at most one of each kind. */
export function validMountMode(mode: string): boolean {
  if (mode === "") return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(",")) {
    const kind = rwModes.has(o) ? 0 : labelModes.has(o) ? 1 : propagationModes.has(o) ? 2 : o === "nocopy" ? 3 : consistencyModes.has(o) ? 4 : -1;
    if (kind < 0) return false;
    counts[kind]!++;
  }
  return counts.every((n) => n <= 1);
}

const invalidSpec = (raw: string) => `invalid volume specification: '${raw}'`;

function mountConfigError(type: string, why: string): InvalidParameterError {
  return new InvalidParameterError(`invalid mount config for type "${type}": ${why}`);
}

function checkTarget(type: string, target: string | undefined): string {
  if (!target) throw mountConfigError(type, "field Target must not be empty");
  if (posix.normalize(target) === "/" || posix.normalize(target) === "//") throw mountConfigError(type, "invalid specification: destination can't be '/'");
  if (!target.startsWith("/")) throw mountConfigError(type, `invalid mount path: '${target}' mount path must be absolute`);
  return posix.normalize(target).replace(/\/+$/, "") || "/";
}

/** `-v [SOURCE:]DEST[:MODE]`, Docker's linux parser. */
export function parseBind(raw: string): MountPoint {
  const arr = raw.split(":");
  if (arr.length > 3 || arr[0] === "") throw new InvalidParameterError(invalidSpec(raw));
  let source = "";
  let target: string;
  let mode = "";
  if (arr.length === 1) target = arr[0]!;
  else if (arr.length === 2) {
    // "/foo:rw" is a destination and a mode, which a volume cannot be.
    if (validMountMode(arr[1]!)) throw new InvalidParameterError(invalidSpec(raw));
    [source, target] = arr as [string, string];
  } else [source, target, mode] = arr as [string, string, string];
  if (!validMountMode(mode)) throw new InvalidParameterError(`invalid mode: ${mode}`);
  const opts = mode.split(",");
  const type = source.startsWith("/") ? "bind" : "volume";
  let dest: string;
  try {
    dest = checkTarget(type, target);
  } catch (e) {
    throw new InvalidParameterError(`${invalidSpec(raw)}: ${(e as Error).message}`);
  }
  const rw = !opts.some((o) => o === "ro" || o.startsWith("ro-") || o === "rro");
  const propagation = opts.find((o) => propagationModes.has(o));
  // Docker's parser turns these modes into options the other type refuses.
  if (type === "volume" && opts.some((o) => o.startsWith("ro-") || o === "rro")) {
    throw new InvalidParameterError(`mount mode "${mode}" requires a bind mount: ${invalidSpec(raw)}`);
  }
  if (type === "bind" && opts.includes("nocopy")) throw new InvalidParameterError(`${invalidSpec(raw)}: ${mountConfigError(type, "field VolumeOptions must not be specified").message}`);
  if (type === "volume" && propagation) throw new InvalidParameterError(`${invalidSpec(raw)}: ${mountConfigError(type, "field BindOptions must not be specified").message}`);
  if (type === "volume" && source) checkVolumeName(source);
  if (type === "bind") {
    return { Type: "bind", Source: posix.normalize(source), Destination: dest, Mode: mode, RW: rw, Propagation: propagation ?? "rprivate", createSource: true };
  }
  // dockerd gives a local volume from -v the SELinux mode "z" when none is set.
  return {
    Type: "volume", Name: source || undefined, Source: "", Destination: dest, Driver: "local", Mode: mode || "z", RW: rw,
    Propagation: "", copyData: !opts.includes("nocopy"),
  };
}

/** One entry of HostConfig.Mounts (`--mount`), Docker's validateMountConfig. */
export function parseMountSpec(m: Record<string, any>, sourceExists: (p: string) => boolean): MountPoint {
  if (!m || typeof m !== "object") throw new InvalidParameterError("invalid mount config: not an object");
  const type = String(m.Type ?? "");
  if (!["bind", "volume", "tmpfs"].includes(type)) {
    if (type === "") throw mountConfigError(type, "mount type unknown");
    throw mountConfigError(type, "mount type unknown");
  }
  const dest = checkTarget(type, m.Target);
  const source: string = m.Source ?? "";
  const ro = !!m.ReadOnly;
  if (type === "bind") {
    if (!source) throw mountConfigError(type, "field Source must not be empty");
    if (m.VolumeOptions) throw mountConfigError(type, "field VolumeOptions must not be specified");
    const prop = m.BindOptions?.Propagation;
    if (prop && !propagationModes.has(prop)) throw mountConfigError(type, `invalid propagation mode: ${prop}`);
    if (!source.startsWith("/")) throw mountConfigError(type, `invalid mount path: '${source}' mount path must be absolute`);
    const create = !!m.BindOptions?.CreateMountpoint;
    if (!create && !sourceExists(source)) throw mountConfigError(type, `bind source path does not exist: ${source}`);
    return {
      Type: "bind", Source: posix.normalize(source), Destination: dest, Mode: "", RW: !ro, Propagation: prop || "rprivate",
      createSource: create, nonRecursive: !!m.BindOptions?.NonRecursive,
    };
  }
  if (type === "volume") {
    if (m.BindOptions) throw mountConfigError(type, "field BindOptions must not be specified");
    if (ro && !source) throw mountConfigError(type, "must not set ReadOnly mode when using anonymous volumes");
    if (source) checkVolumeName(source);
    const vo = m.VolumeOptions ?? {};
    if (vo.Subpath) throw mountConfigError(type, "field VolumeOptions.Subpath is not supported by berth: the engine mounts a volume whole");
    const driver = vo.DriverConfig?.Name || "local";
    return {
      Type: "volume", Name: source || undefined, Source: "", Destination: dest, Driver: driver, Mode: "", RW: !ro, Propagation: "",
      copyData: !vo.NoCopy, volumeOptions: vo.DriverConfig?.Options ?? undefined, volumeLabels: vo.Labels ?? undefined,
    };
  }
  if (m.BindOptions) throw mountConfigError(type, "field BindOptions must not be specified");
  if (source) throw mountConfigError(type, "field Source must not be specified");
  const t = m.TmpfsOptions ?? {};
  const options: string[] = [];
  if (ro) options.push("ro");
  if (t.Mode) options.push(`mode=${Number(t.Mode).toString(8)}`);
  if (t.SizeBytes) options.push(`size=${tmpfsSize(Number(t.SizeBytes))}`);
  for (const o of t.Options ?? []) {
    if (!Array.isArray(o) || !["exec", "noexec"].includes(o[0])) throw mountConfigError(type, `invalid option: ${Array.isArray(o) ? o[0] : o}`);
    options.push(o.join("="));
  }
  return { Type: "tmpfs", Source: "", Destination: dest, Mode: "", RW: !ro, Propagation: "", tmpfsOptions: options };
}

/** The largest unit that divides the size evenly, as Docker writes it. */
function tmpfsSize(n: number): string {
  for (const [suffix, d] of [["g", 1 << 30], ["m", 1 << 20], ["k", 1 << 10]] as const) if (n % d === 0) return `${n / d}${suffix}`;
  return String(n);
}

/** HostConfig.Tmpfs: `{"/run": "size=64m,mode=1777"}`. */
export function parseTmpfs(dest: string, options: string): MountPoint {
  const d = checkTarget("tmpfs", dest);
  const opts = String(options ?? "").split(",").filter(Boolean);
  return { Type: "tmpfs", Source: "", Destination: d, Mode: "", RW: !opts.includes("ro"), Propagation: "", tmpfsOptions: opts, hidden: true };
}

/** `--volumes-from CONTAINER[:ro|rw]`. */
export function parseVolumesFrom(spec: string): { container: string; mode: string } {
  if (!spec) throw new InvalidParameterError("volumes-from specification cannot be an empty string");
  const i = spec.indexOf(":");
  if (i < 0) return { container: spec, mode: "" };
  const mode = spec.slice(i + 1);
  const opts = mode.split(",");
  if (!validMountMode(mode) || opts.some((o) => propagationModes.has(o) || o === "nocopy")) throw new InvalidParameterError(`invalid mode: ${mode}`);
  if (mode.startsWith("ro-") || mode === "rro") throw new InvalidParameterError(`mount mode "${mode}" is not supported for volumes-from mounts: invalid mode: ${mode}`);
  return { container: spec.slice(0, i), mode };
}

/** inspect's Mounts entry: Docker's field set (Name and Driver only for volumes). */
export function mountView(m: MountPoint): Record<string, unknown> {
  return {
    Type: m.Type,
    ...(m.Type === "volume" ? { Name: m.Name } : {}),
    Source: m.Source,
    Destination: m.Destination,
    ...(m.Type === "volume" ? { Driver: m.Driver ?? "local" } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  };
}
