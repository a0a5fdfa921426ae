// `berth compose`: the docker compose v2 command line. Global flags come
// before the subcommand (`berth compose -f a.yaml -p x up -d`); each
// subcommand parses its own flags.
import type { Command } from "../../command.ts";
import { flagUsages, parseFlags, UsageError, type FlagSpec } from "../../flags.ts";
import { ComposeError } from "../../../compose/errors.ts";
import { ComposeContext, type ComposeGlobals, type ComposeSubcommand } from "./command.ts";
import { configSubcommand } from "./config.ts";
import { createSubcommand, upSubcommand } from "./up.ts";
import { downSubcommand } from "./down.ts";
import { logsSubcommand, psSubcommand } from "./ps.ts";
import { lifecycleSubcommands } from "./lifecycle.ts";
import { execSubcommand, runSubcommand } from "./exec-run.ts";
import { imageSubcommands } from "./image-commands.ts";
import { infoSubcommands } from "./info-commands.ts";
import { watchSubcommand } from "./watch.ts";

const globalFlags: FlagSpec[] = [
  { name: "file", short: "f", type: "list", valueName: "stringArray", help: "Compose configuration files" },
  { name: "project-name", short: "p", type: "string", help: "Project name" },
  { name: "project-directory", type: "string", help: "Specify an alternate working directory\n(default: the path of the, first specified, Compose file)" },
  { name: "profile", type: "list", valueName: "stringArray", help: "Specify a profile to enable" },
  { name: "env-file", type: "list", valueName: "stringArray", help: "Specify an alternate environment file" },
  { name: "ansi", type: "string", default: "auto", help: 'Control when to print ANSI control characters ("never"|"always"|"auto")' },
  { name: "progress", type: "string", help: "Set type of progress output (auto, tty, plain, json, quiet)" },
  { name: "parallel", type: "number", default: -1, help: "Control max parallelism, -1 for unlimited" },
  { name: "compatibility", type: "bool", help: "Run compose in backward compatibility mode" },
  { name: "dry-run", type: "bool", hidden: true },
];

const subcommands: ComposeSubcommand[] = [
  configSubcommand, upSubcommand, createSubcommand, downSubcommand, psSubcommand, logsSubcommand, execSubcommand, runSubcommand,
  ...lifecycleSubcommands, ...imageSubcommands, ...infoSubcommands, watchSubcommand,
];

function composeUsage(): string {
  const width = Math.max(...subcommands.map((s) => s.name.length)) + 2;
  return [
    "Usage:  berth compose [OPTIONS] COMMAND", "", "Define and run multi-container applications", "",
    "Commands:", ...[...subcommands].sort((a, b) => a.name.localeCompare(b.name)).map((s) => `  ${s.name.padEnd(width)}${s.description}`), "",
    "Options:", flagUsages(globalFlags), "", "Run 'berth compose COMMAND --help' for more information on a command.", "",
  ].join("\n");
}

export const composeCommand: Command = {
  names: ["compose"],
  synopsis: "[OPTIONS] COMMAND",
  description: "Define and run multi-container applications",
  flags: globalFlags,
  stopAtPositional: true,
  async run(ctx, flags, args) {
    if (!args.length) {
      ctx.out(composeUsage());
      return 0;
    }
    const sub = subcommands.find((s) => s.name === args[0] || s.aliases?.includes(args[0]!));
    if (!sub) {
      ctx.err(`unknown docker command: "compose ${args[0]}"`);
      return 1;
    }
    let parsed;
    try {
      parsed = parseFlags(args.slice(1), [...sub.flags, { name: "help", type: "bool", hidden: true }], sub.stopAtPositional);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      ctx.err(`${e.message}`);
      return 1;
    }
    if (parsed.flags.help) {
      ctx.out([`Usage:  berth compose ${sub.name} ${sub.synopsis}`, "", sub.description, "", "Options:", flagUsages(sub.flags), ""].join("\n"));
      return 0;
    }
    try {
      return await sub.run(new ComposeContext(ctx, flags as ComposeGlobals), parsed.flags, parsed.args);
    } catch (e) {
      if (e instanceof ComposeError || e instanceof UsageError) {
        ctx.err(e.message);
        return 1;
      }
      throw e;
    }
  },
};
