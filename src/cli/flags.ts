// Docker-style command-line flags: `-it` combined shorts, `--flag=value`,
// `--flag value`, repeatable flags, `--` to end flags, `--rm=false`.
export interface FlagSpec {
  name: string;
  short?: string;
  /** "bool" flags take no value unless written `--flag=false`. */
  type: "bool" | "string" | "list" | "number";
  help?: string;
  default?: unknown;
}

export class UsageError extends Error {}

export interface Parsed {
  flags: Record<string, any>;
  args: string[];
}

/**
 * Parses argv against the specs. Flags stop at the first positional argument
 * when `stopAtPositional` (as `docker run IMAGE CMD…`: the command's own flags follow).
 */
export function parseFlags(argv: string[], specs: FlagSpec[], stopAtPositional = false): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags: Record<string, any> = {};
  for (const s of specs) flags[s.name] = s.type === "list" ? [] : s.default ?? (s.type === "bool" ? false : undefined);
  const args: string[] = [];
  const set = (s: FlagSpec, value: string | undefined, next: () => string) => {
    if (s.type === "bool") {
      flags[s.name] = value === undefined ? true : !["false", "0", "False"].includes(value);
      return;
    }
    const v = value ?? next();
    if (s.type === "list") flags[s.name].push(v);
    else if (s.type === "number") {
      if (!/^-?\d+(\.\d+)?$/.test(v)) throw new UsageError(`invalid argument "${v}" for "${s.short ? `-${s.short}, ` : ""}--${s.name}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
      flags[s.name] = Number(v);
    } else flags[s.name] = v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${a}`);
      return argv[++i]!;
    };
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const s = byName.get(name);
      if (!s) throw new UsageError(`unknown flag: --${name}`);
      set(s, eq < 0 ? undefined : a.slice(eq + 1), next);
    } else if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const s = byShort.get(a[j]!);
        if (!s) throw new UsageError(`unknown shorthand flag: '${a[j]}' in ${a}`);
        if (s.type === "bool") {
          set(s, undefined, next);
          continue;
        }
        const rest = a.slice(j + 1);
        set(s, rest ? rest.replace(/^=/, "") : undefined, next);
        break;
      }
    } else {
      args.push(a);
      if (stopAtPositional) {
        args.push(...argv.slice(i + 1));
        break;
      }
    }
  }
  return { flags, args };
}

export function usage(command: string, synopsis: string, description: string, specs: FlagSpec[]): string {
  const lines = [`Usage:  berth ${command} ${synopsis}`, "", description, ""];
  if (specs.length) {
    lines.push("Options:");
    for (const s of specs) {
      const left = `${s.short ? `-${s.short}, ` : "    "}--${s.name}${s.type === "bool" ? "" : ` ${s.type === "number" ? "int" : "string"}`}`;
      lines.push(`  ${left.padEnd(28)} ${s.help ?? ""}`);
    }
  }
  return lines.join("\n");
}
