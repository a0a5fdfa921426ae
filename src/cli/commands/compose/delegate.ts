// Compose subcommands that act on one container the way a plain berth
// command does (exec, start -a, cp, top, port, push) run that command with
// the container's name put in: one implementation of each, not two.
import type { Command } from "../../command.ts";
import { parseFlags } from "../../flags.ts";
import type { ComposeContext } from "./command.ts";

export function delegate(c: ComposeContext, cmd: Command, argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, cmd.flags, cmd.stopAtPositional);
  return cmd.run(c.ctx, parsed.flags, parsed.args, parsed.given);
}
