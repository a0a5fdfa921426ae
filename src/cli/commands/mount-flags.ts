// run/create's -v, --mount, --tmpfs and --volumes-from, as the docker CLI
// turns them into the create body (Config.Volumes, HostConfig.Binds/Mounts/Tmpfs/VolumesFrom).
import type { FlagSpec } from "../flags.ts";
import { UsageError } from "../flags.ts";
import { parseBytes } from "../../shared/units.ts";

export const mountFlags: FlagSpec[] = [
  { name: "volume", short: "v", type: "list", help: "Bind mount a volume" },
  { name: "mount", type: "list", valueName: "mount", help: "Attach a filesystem mount to the container" },
  { name: "tmpfs", type: "list", help: "Mount a tmpfs directory" },
  { name: "volumes-from", type: "list", help: "Mount volumes from the specified container(s)" },
];

const boolWords: Record<string, boolean> = { "1": true, t: true, true: true, TRUE: true, True: true, "0": false, f: false, false: false, FALSE: false, False: false };

/** One `--mount type=…,source=…,target=…` value → an Engine API Mount. */
export function parseMountFlag(value: string): Record<string, any> {
  const fail = (why: string) => new UsageError(`invalid argument "${value}" for "--mount" flag: ${why}`);
  const m: Record<string, any> = { Type: "volume" };
  const bind = () => (m.BindOptions ??= {});
  const vol = () => (m.VolumeOptions ??= {});
  const tmpfs = () => (m.TmpfsOptions ??= {});
  const flag = (k: string, v: string | undefined) => {
    if (v === undefined) return true;
    const b = boolWords[v];
    if (b === undefined) throw fail(`invalid value for ${k}: ${v}`);
    return b;
  };
  for (const field of value.split(",")) {
    const i = field.indexOf("=");
    const key = (i < 0 ? field : field.slice(0, i)).toLowerCase();
    const val = i < 0 ? undefined : field.slice(i + 1);
    if (val === undefined && !["readonly", "ro", "volume-nocopy", "bind-nonrecursive"].includes(key)) throw fail(`invalid field '${field}' must be a key=value pair`);
    switch (key) {
      case "type": m.Type = val; break;
      case "source": case "src": m.Source = val; break;
      case "target": case "dst": case "destination": m.Target = val; break;
      case "readonly": case "ro": m.ReadOnly = flag(key, val); break;
      case "consistency": m.Consistency = val; break;
      case "bind-propagation": bind().Propagation = val; break;
      case "bind-nonrecursive": bind().NonRecursive = flag(key, val); break;
      case "bind-recursive":
        if (val === "disabled") bind().NonRecursive = true;
        else if (val !== "enabled") throw fail(`invalid value for ${key}: ${val} (must be "enabled" or "disabled")`);
        break;
      case "volume-nocopy": vol().NoCopy = flag(key, val); break;
      case "volume-label": { const [k, ...x] = val!.split("="); (vol().Labels ??= {})[k!] = x.join("="); break; }
      case "volume-driver": (vol().DriverConfig ??= {}).Name = val; break;
      case "volume-opt": {
        const [k, ...x] = val!.split("=");
        const d = (vol().DriverConfig ??= {});
        (d.Options ??= {})[k!] = x.join("=");
        break;
      }
      case "tmpfs-size": tmpfs().SizeBytes = parseBytes(val!); break;
      case "tmpfs-mode": {
        const mode = parseInt(val!, 8);
        if (Number.isNaN(mode)) throw fail(`invalid value for ${key}: ${val}`);
        tmpfs().Mode = mode;
        break;
      }
      default: throw fail(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Target) throw fail("target is required");
  if (m.VolumeOptions && m.Type !== "volume") throw fail(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.BindOptions && m.Type !== "bind") throw fail(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.TmpfsOptions && m.Type !== "tmpfs") throw fail(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  return m;
}

/** The create body's parts for the mount flags. */
export function mountsFromFlags(f: Record<string, any>): { volumes: Record<string, object>; hostConfig: Record<string, unknown> } {
  const volumes: Record<string, object> = {};
  const binds: string[] = [];
  // As the docker CLI: "-v /path" alone is an anonymous volume (Config.Volumes), anything with a source is a bind.
  for (const v of f.volume as string[]) {
    const parts = v.split(":");
    if (parts.length > 1 && parts[1] !== "/") binds.push(v);
    else volumes[v] = {};
  }
  const tmpfs: Record<string, string> = {};
  for (const t of f.tmpfs as string[]) {
    const i = t.indexOf(":");
    tmpfs[i < 0 ? t : t.slice(0, i)] = i < 0 ? "" : t.slice(i + 1);
  }
  const mounts = (f.mount as string[]).map(parseMountFlag);
  return {
    volumes,
    hostConfig: {
      Binds: binds.length ? binds : null,
      Mounts: mounts.length ? mounts : undefined,
      Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
      VolumesFrom: f["volumes-from"].length ? f["volumes-from"] : null,
    },
  };
}
