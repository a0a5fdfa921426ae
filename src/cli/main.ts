// The berth CLI: global flags, then a docker-compatible command. Errors are
// printed in docker's words with docker's exit codes (125 for flag errors,
// 1 for daemon errors and wrong argument counts).
import { ApiError, ConnectError } from "../client/client.ts";
import { flagUsages, parseFlags, usage, UsageError, type FlagSpec } from "./flags.ts";
import { Context } from "./context.ts";
import { commandIndex, loadAll, type CommandEntry } from "./commands/index.ts";
import type { Command } from "./command.ts";
import { gitCommit, version } from "../version.ts";
import { flushed, isOutputFailure, stderr, stdout } from "./stdio.ts";

const globalFlags: FlagSpec[] = [
  { name: "config", type: "string", help: "Location of client config files" },
  { name: "debug", short: "D", type: "bool", help: "Enable debug mode" },
  { name: "host", short: "H", type: "string", valueName: "list", help: "Daemon socket to connect to" },
  { name: "log-level", short: "l", type: "string", help: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', default: "info" },
  { name: "no-autostart", type: "bool", help: "Do not start a daemon when none answers on the default socket" },
  { name: "tls", type: "bool", help: "Use TLS; implied by --tlsverify" },
  { name: "tlscacert", type: "string", help: "Trust certs signed only by this CA" },
  { name: "tlscert", type: "string", help: "Path to TLS certificate file" },
  { name: "tlskey", type: "string", help: "Path to TLS key file" },
  { name: "tlsverify", type: "bool", help: "Use TLS and verify the remote" },
  { name: "version", short: "v", type: "bool", help: "Print version information and quit" },
  { name: "help", short: "h", type: "bool", hidden: true },
];

/** The longest command path that matches: "image ls" before "image". */
export function findCommand(args: string[]): { entry: CommandEntry; name: string; rest: string[] } | undefined {
  for (const len of [2, 1]) {
    if (args.length < len) continue;
    const key = args.slice(0, len).join(" ");
    const entry = commandIndex.find((c) => c.names.includes(key));
    if (entry) return { entry, name: key, rest: args.slice(len) };
  }
  return undefined;
}

async function mainUsage(): Promise<string> {
  const commands = await loadAll();
  const width = Math.max(...commands.map((c) => c.names[0]!.length)) + 2;
  const list = (cs: Command[]) => cs.map((c) => `  ${c.names[0]!.padEnd(width)}${c.summary ?? c.description}`);
  const top = commands.filter((c) => !c.names[0]!.includes(" "));
  const managed = commands.filter((c) => c.names[0]!.includes(" "));
  return [
    "Usage:  berth [OPTIONS] COMMAND", "",
    "A Docker-compatible container engine in one executable", "",
    "Commands:", ...list(top), "",
    ...(managed.length ? ["Management Commands:", ...list(managed), ""] : []),
    "Global Options:", flagUsages(globalFlags), "",
    "Run 'berth COMMAND --help' for more information on a command.", "",
  ].join("\n");
}

function plural(n: number): string {
  return `${n} argument${n === 1 ? "" : "s"}`;
}

/** docker's cli/required.go wording. */
function argCountError(name: string, cmd: Command, n: number): string | undefined {
  const { minArgs: min, maxArgs: max } = cmd;
  if (max === 0 && n > 0) return `'berth ${name}' accepts no arguments`;
  if (min !== undefined && min === max && n !== min) return `'berth ${name}' requires ${plural(min)}`;
  if (min !== undefined && max !== undefined && (n < min || n > max)) return `'berth ${name}' requires at least ${min} and at most ${plural(max)}`;
  if (min !== undefined && n < min) return `'berth ${name}' requires at least ${plural(min)}`;
  if (max !== undefined && n > max) return `'berth ${name}' requires at most ${plural(max)}`;
  return undefined;
}

function usageLine(name: string, cmd: Command): string {
  return `Usage:  berth ${name} ${cmd.synopsis}`.trimEnd();
}

export async function cliMain(argv: string[]): Promise<number> {
  const code = await command(argv);
  try {
    await flushed(); // the text written is out before the exit code is
  } catch (e) {
    // stdout could not be written (a full disk, say): say so where it can still be read
    await Bun.write(Bun.stderr, `berth: writing the output: ${(e as Error)?.message ?? e}\n`).catch(() => {}); // nowhere left to report
    return code || 1;
  }
  return code;
}

async function command(argv: string[]): Promise<number> {
  let g;
  try {
    g = parseFlags(argv, globalFlags, true);
  } catch (e) {
    stderr.write(`${(e as Error).message}\n\nUsage:  berth [OPTIONS] COMMAND [ARG...]\n\nRun 'berth --help' for more information\n`);
    return 125;
  }
  if (g.flags.version && !g.args.length) {
    stdout.write(`berth version ${version}, build ${gitCommit.slice(0, 7)}\n`);
    return 0;
  }
  if (!g.args.length) {
    (g.flags.help ? stdout : stderr).write(await mainUsage());
    return g.flags.help ? 0 : 1;
  }
  if (g.args[0] === "help") {
    const found = findCommand(g.args.slice(1));
    const cmd = await found?.entry.load();
    stdout.write(found && cmd ? usage(found.name, cmd.synopsis, cmd.description, cmd.flags, cmd.names) : await mainUsage());
    return 0;
  }
  const found = findCommand(g.args);
  if (!found) {
    stderr.write(`berth: unknown command: berth ${g.args[0]}\n\nRun 'berth --help' for more information\n`);
    return 1;
  }
  const { name, rest } = found;
  const cmd = await found.entry.load();
  if (cmd.serves) Bun.unsafe.setJITPolicy(1);
  const ctx = new Context({
    host: g.flags.host,
    tls: g.flags.tls || undefined,
    tlsVerify: g.flags.tlsverify || undefined,
    tlsCaCert: g.flags.tlscacert,
    tlsCert: g.flags.tlscert,
    tlsKey: g.flags.tlskey,
    noAutostart: g.flags["no-autostart"],
    debug: g.flags.debug,
    configDir: g.flags.config,
  });
  let parsed;
  try {
    parsed = parseFlags(rest, [...cmd.flags, { name: "help", short: cmd.flags.some((f) => f.short === "h") ? undefined : "h", type: "bool", hidden: true }], cmd.stopAtPositional);
  } catch (e) {
    stderr.write(`${(e as Error).message}\n\n${usageLine(name, cmd)}\n\nRun 'berth ${name} --help' for more information\n`);
    return 125;
  }
  if (parsed.flags.help) {
    stdout.write(usage(name, cmd.synopsis, cmd.description, cmd.flags, cmd.names));
    return 0;
  }
  const countError = argCountError(name, cmd, parsed.args.length);
  if (countError) {
    stderr.write(`berth: ${countError}\n\n${usageLine(name, cmd)}\n\nRun 'berth ${name} --help' for more information\n`);
    return 1;
  }
  try {
    return await cmd.run(ctx, parsed.flags, parsed.args, parsed.given);
  } catch (e) {
    return reportError(e, name, cmd);
  }
}

/** Prints an error the way docker does and returns its exit code. */
function reportError(e: unknown, name: string, cmd: Command): number {
  if (isOutputFailure(e)) return 1; // a streaming command stopped by it: cliMain says 'berth: writing the output: ...'
  if (e instanceof UsageError) {
    stderr.write(`${e.message}\n\n${usageLine(name, cmd)}\n\nRun 'berth ${name} --help' for more information\n`);
    return 125;
  }
  if (e instanceof ApiError) {
    stderr.write(`Error response from daemon: ${e.message}\n`);
    return (e as { exitCode?: number }).exitCode ?? 1;
  }
  if (e instanceof ConnectError) {
    stderr.write(`${e.message}\n`);
    return 1;
  }
  const message = (e as Error)?.message ?? String(e);
  stderr.write(`${message}\n`);
  if (process.env.BERTH_DEBUG_STACK) stderr.write(`${(e as Error)?.stack}\n`);
  return 1;
}
