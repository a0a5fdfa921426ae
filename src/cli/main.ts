// The berth CLI: global flags, then a docker-compatible command.
import { ApiError, ConnectError } from "../client/client.ts";
import { parseFlags, usage, UsageError, type FlagSpec } from "./flags.ts";
import { Context } from "./context.ts";
import { commands } from "./commands/index.ts";
import type { Command } from "./command.ts";
import { BerthError } from "../errors.ts";

const globalFlags: FlagSpec[] = [
  { name: "host", short: "H", type: "string", help: "Daemon socket to connect to" },
  { name: "tlsverify", type: "bool", help: "Use TLS and verify the remote" },
  { name: "tls", type: "bool", help: "Use TLS; implied by --tlsverify" },
  { name: "tlscacert", type: "string", help: "Trust certs signed only by this CA" },
  { name: "tlscert", type: "string", help: "Path to TLS certificate file" },
  { name: "tlskey", type: "string", help: "Path to TLS key file" },
  { name: "no-autostart", type: "bool", help: "Do not start a daemon when none answers" },
  { name: "debug", short: "D", type: "bool", help: "Enable debug mode" },
  { name: "log-level", short: "l", type: "string", help: "Set the logging level" },
  { name: "config", type: "string", help: "Location of client config files" },
  { name: "help", short: "h", type: "bool", help: "Print usage" },
  { name: "version", short: "v", type: "bool", help: "Print version information and quit" },
];

function findCommand(args: string[]): { cmd: Command; rest: string[] } | undefined {
  for (const len of [2, 1]) {
    const key = args.slice(0, len).join(" ");
    const cmd = commands.find((c) => c.names.includes(key));
    if (cmd) return { cmd, rest: args.slice(len) };
  }
  return undefined;
}

function mainUsage(): string {
  const names = commands.map((c) => `  ${c.names[0]!.padEnd(12)} ${c.description}`);
  return ["Usage:  berth [OPTIONS] COMMAND", "", "A Docker-compatible container engine in one executable", "", "Commands:", ...names, "", "Run 'berth COMMAND --help' for more information on a command."].join("\n");
}

export async function cliMain(argv: string[]): Promise<number> {
  let g;
  try {
    g = parseFlags(argv, globalFlags, true);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\nSee 'berth --help'.\n`);
    return 125;
  }
  if (g.flags.version && !g.args.length) g.args.push("version");
  if (!g.args.length) {
    (g.flags.help ? process.stdout : process.stderr).write(mainUsage() + "\n");
    return g.flags.help ? 0 : 1;
  }
  const found = findCommand(g.args);
  if (!found) {
    process.stderr.write(`berth: '${g.args[0]}' is not a berth command.\nSee 'berth --help'\n`);
    return 1;
  }
  const { cmd, rest } = found;
  const ctx = new Context({
    host: g.flags.host,
    tlsVerify: g.flags.tlsverify || g.flags.tls || undefined,
    tlsCaCert: g.flags.tlscacert,
    tlsCert: g.flags.tlscert,
    tlsKey: g.flags.tlskey,
    noAutostart: g.flags["no-autostart"],
    debug: g.flags.debug,
  });
  const name = cmd.names[0]!;
  try {
    const specs = [...cmd.flags, { name: "help", type: "bool" } as FlagSpec];
    const { flags, args } = parseFlags(rest, specs, cmd.stopAtPositional);
    if (flags.help) {
      process.stdout.write(usage(name, cmd.synopsis, cmd.description, cmd.flags) + "\n");
      return 0;
    }
    if ((cmd.minArgs !== undefined && args.length < cmd.minArgs) || (cmd.maxArgs !== undefined && args.length > cmd.maxArgs)) {
      const want = cmd.minArgs === cmd.maxArgs ? `exactly ${cmd.minArgs}` : cmd.maxArgs === undefined ? `at least ${cmd.minArgs}` : `at most ${cmd.maxArgs}`;
      throw new UsageError(`"berth ${name}" requires ${want} argument${(cmd.minArgs ?? cmd.maxArgs) === 1 ? "" : "s"}.\n\nUsage:  berth ${name} ${cmd.synopsis}\n\n${cmd.description}`);
    }
    return await cmd.run(ctx, flags, args);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`berth: ${e.message}\nSee 'berth ${name} --help'.\n`);
      return 125;
    }
    if (e instanceof ApiError) {
      process.stderr.write(`Error response from daemon: ${e.message}\n`);
      return (e as any).exitCode ?? 1;
    }
    if (e instanceof ConnectError || e instanceof BerthError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    process.stderr.write(`Error: ${(e as Error)?.message ?? e}\n`);
    return 1;
  }
}
