// What each `berth compose` subcommand gets: the project loaded from the
// global flags, the API client, and the subcommand's own flags.
import { readFileSync } from "node:fs";
import type { FlagSpec } from "../../flags.ts";
import type { Context } from "../../context.ts";
import type { Project } from "../../../compose/types.ts";

export interface ComposeGlobals {
  file: string[];
  "project-name"?: string;
  "project-directory"?: string;
  profile: string[];
  "env-file": string[];
}

export class ComposeContext {
  constructor(readonly ctx: Context, readonly globals: ComposeGlobals) {}

  /** The project; `services` named on the command line enable their profiles. */
  async load(services: string[] = []): Promise<Project> {
    const g = this.globals;
    // Loaded on use: the compose model is no part of other commands' start.
    const { loadProject } = await import("../../../compose/load.ts");
    const p = loadProject({
      files: g.file, projectName: g["project-name"], projectDirectory: g["project-directory"], envFiles: g["env-file"],
      profiles: g.profile, services, readStdin: () => readFileSync(0, "utf8"),
    });
    for (const w of p.warnings) this.ctx.err(`WARN[0000] ${w}`);
    return p;
  }

  /** The project name without reading files, when -p or COMPOSE_PROJECT_NAME gives it (down, ps, ls… work without the files, as compose's do). */
  nameOnly(): string | undefined {
    return this.globals["project-name"] || process.env.COMPOSE_PROJECT_NAME || undefined;
  }

  client() {
    return this.ctx.client();
  }
}

export interface ComposeSubcommand {
  name: string;
  aliases?: string[];
  synopsis: string;
  description: string;
  flags: FlagSpec[];
  /** Flags end at the first positional (exec, run: the command's own flags follow). */
  stopAtPositional?: boolean;
  run(c: ComposeContext, flags: Record<string, any>, args: string[]): Promise<number>;
}
