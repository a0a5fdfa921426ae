// Docker-style command-line flags (pflag's rules): `-it` combined shorts,
// `--flag=value`, `--flag value`, `-fvalue`, repeatable flags, `--` to end
// flags, `--rm=false`; and the help text laid out as docker prints it.
export interface FlagSpec {
  name: string;
  short?: string;
  /** "bool" flags take no value unless written `--flag=false`. */
  type: "bool" | "string" | "list" | "number";
  help?: string;
  default?: unknown;
  /** The value's name in help ("string", "int", "filter", "list"). */
  valueName?: string;
  /** Accepted but not listed in help. */
  hidden?: boolean;
}

export class UsageError extends Error {}

export interface Parsed {
  flags: Record<string, any>;
  args: string[];
  /** Names of the flags given on the command line (defaults aside). */
  given: Set<string>;
}

const trueWords = ["1", "t", "T", "TRUE", "true", "True"];
const falseWords = ["0", "f", "F", "FALSE", "false", "False"];

function flagLabel(s: FlagSpec): string {
  return `${s.short ? `-${s.short}, ` : ""}--${s.name}`;
}

/**
 * Parses argv against the specs. Flags stop at the first positional argument
 * when `stopAtPositional` (as `docker run IMAGE CMD…`: the command's own flags follow).
 */
export function parseFlags(argv: string[], specs: FlagSpec[], stopAtPositional = false): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags: Record<string, any> = {};
  for (const s of specs) flags[s.name] = s.type === "list" ? [...((s.default as string[]) ?? [])] : s.default ?? (s.type === "bool" ? false : undefined);
  const given = new Set<string>();
  const args: string[] = [];
  const set = (s: FlagSpec, value: string | undefined, next: () => string) => {
    if (s.type === "list" && !given.has(s.name)) flags[s.name] = []; // given values replace the default list
    given.add(s.name);
    if (s.type === "bool") {
      if (value === undefined || trueWords.includes(value)) flags[s.name] = true;
      else if (falseWords.includes(value)) flags[s.name] = false;
      else throw new UsageError(`invalid argument "${value}" for "${flagLabel(s)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
      return;
    }
    const v = value ?? next();
    if (s.type === "list") flags[s.name].push(v);
    else if (s.type === "number") {
      if (!/^-?\d+(\.\d+)?$/.test(v)) throw new UsageError(`invalid argument "${v}" for "${flagLabel(s)}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
      flags[s.name] = Number(v);
    } else flags[s.name] = v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const s = byName.get(name);
      if (!s) throw new UsageError(`unknown flag: --${name}`);
      set(s, eq < 0 ? undefined : a.slice(eq + 1), () => {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
        return argv[++i]!;
      });
    } else if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const s = byShort.get(c);
        if (!s) throw new UsageError(`unknown shorthand flag: '${c}' in ${a}`);
        const rest = a.slice(j + 1);
        if (s.type === "bool") {
          // `-d=false` sets a bool short flag explicitly.
          if (rest.startsWith("=")) {
            set(s, rest.slice(1), () => "");
            break;
          }
          set(s, undefined, () => "");
          continue;
        }
        set(s, rest ? rest.replace(/^=/, "") : undefined, () => {
          if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: '${c}' in -${c}`);
          return argv[++i]!;
        });
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
  return { flags, args, given };
}

function valueName(s: FlagSpec): string {
  if (s.type === "bool") return "";
  return s.valueName ?? (s.type === "number" ? "int" : s.type === "list" ? "list" : "string");
}

/** The Options block, laid out as pflag does (usage column at the longest flag + 2). */
export function flagUsages(specs: FlagSpec[]): string {
  const rows = specs.filter((s) => !s.hidden).map((s) => {
    const left = `  ${s.short ? `-${s.short}, ` : "    "}--${s.name}${valueName(s) ? ` ${valueName(s)}` : ""}`;
    let help = s.help ?? "";
    const d = s.default;
    if (d !== undefined && d !== false && d !== "" && !(Array.isArray(d) && !d.length)) {
      help += ` (default ${Array.isArray(d) ? `[${d.join(",")}]` : s.type === "string" ? `"${d}"` : d})`;
    }
    return { left, help };
  });
  const max = Math.max(0, ...rows.map((r) => r.left.length));
  return rows.map((r) => `${r.left.padEnd(max)}   ${r.help.replace(/\n/g, "\n" + " ".repeat(max + 3))}`.trimEnd()).join("\n");
}

export function usage(command: string, synopsis: string, description: string, specs: FlagSpec[], aliases: string[] = []): string {
  const lines = [`Usage:  berth ${command} ${synopsis}`.trimEnd(), "", description, ""];
  if (aliases.length > 1) lines.push("Aliases:", `  ${aliases.map((a) => `berth ${a}`).join(", ")}`, "");
  const visible = specs.filter((s) => !s.hidden);
  if (visible.length) lines.push("Options:", flagUsages(visible), "");
  return lines.join("\n");
}
