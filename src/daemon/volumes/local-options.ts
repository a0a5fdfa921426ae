// The local driver's options (`-o type=… -o device=… -o o=…`), as Docker's
// local driver takes them: a filesystem mounted for the volume (tmpfs, a
// device) or, with `o=bind`, an existing host directory.
import { InvalidParameterError } from "../../errors.ts";

const validOptions = ["type", "device", "o", "size"];
/** An option that is given needs these too. */
const requires: Record<string, string[]> = { device: ["type"], type: ["device"], o: ["device", "type"] };

export function checkLocalOptions(opts: Record<string, string> | null | undefined): void {
  if (!opts) return;
  for (const k of Object.keys(opts)) {
    if (!validOptions.includes(k)) throw new InvalidParameterError(`invalid option: "${k}"`);
  }
  if ("size" in opts) throw new InvalidParameterError("quota size requested but no quota support");
  for (const [k, needed] of Object.entries(requires)) {
    if (!(k in opts)) continue;
    for (const n of needed) if (!(n in opts)) throw new InvalidParameterError(`missing required option: "${n}"`);
  }
}

/** What a volume with options mounts: a host directory (o=bind), or a filesystem of its own. */
export type OptionMount =
  | { kind: "bind"; source: string }
  | { kind: "fs"; fstype: string; device: string; options: string[] };

export function optionMount(opts: Record<string, string> | null | undefined): OptionMount | undefined {
  if (!opts?.type) return undefined;
  const o = (opts.o ?? "").split(",").filter(Boolean);
  if (o.includes("bind") || o.includes("rbind")) return { kind: "bind", source: opts.device! };
  return { kind: "fs", fstype: opts.type, device: opts.device!, options: o };
}
