import { UsageError, type FlagSpec } from "./flags.ts";
import type { Context } from "./context.ts";

export interface Command {
  /** Path as typed: "images", "image ls", "container prune". */
  names: string[];
  synopsis: string;
  description: string;
  /** Its line in `berth --help`'s command table (docker's Short), where the description has more lines. */
  summary?: string;
  flags: FlagSpec[];
  /** Flags end at the first positional (run, exec: the container's argv follows). */
  stopAtPositional?: boolean;
  minArgs?: number;
  maxArgs?: number;
  /** A server that moves data (registry serve): it sets JavaScriptCore's normal JIT policy back,
   * where a command that runs its code once keeps the executable's reluctant one. The daemon keeps
   * it too (src/jit-policy.ts says why). */
  serves?: boolean;
  /** `given` names the flags typed on the command line (defaults aside). */
  run(ctx: Context, flags: Record<string, any>, args: string[], given: Set<string>): Promise<number>;
}

export const formatFlag: FlagSpec = {
  name: "format", type: "string",
  help: "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.",
};
export const quietFlag: FlagSpec = { name: "quiet", short: "q", type: "bool", help: "Only display IDs" };
export const noTruncFlag: FlagSpec = { name: "no-trunc", type: "bool", help: "Don't truncate output" };
export const filterFlag: FlagSpec = { name: "filter", short: "f", type: "list", valueName: "filter", help: "Filter output based on conditions provided" };

/** `--filter a=b --filter c=d` → the API's filters JSON. */
export function filtersJson(list: string[]): string | undefined {
  if (!list.length) return undefined;
  const out: Record<string, string[]> = {};
  for (const f of list) {
    const i = f.indexOf("=");
    if (i < 0) throw new UsageError(`invalid argument "${f}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    (out[f.slice(0, i)] ??= []).push(f.slice(i + 1));
  }
  return JSON.stringify(out);
}
