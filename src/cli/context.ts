// What every command gets: the API client (starting a daemon on demand),
// output helpers, and the global flags.
import { Client, clientOptionsFromEnv } from "../client/client.ts";
import { defaultSocketPath } from "../shared/default-socket.ts";
import { selfCommand } from "../self.ts";
import { nodeChildProcess, nodeFs } from "../builtins.ts";
import { stderr, stdout } from "./stdio.ts";

export interface Globals {
  host?: string;
  tls?: boolean;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  noAutostart: boolean;
  debug: boolean;
  configDir?: string;
}

/** How long a CLI waits for an autostarted daemon to answer /_ping. */
const autostartTimeoutMs = Number(process.env.BERTH_AUTOSTART_TIMEOUT_MS) || 5_000;

export class Context {
  private cached?: Client;
  constructor(readonly globals: Globals) {}

  out(text: string): void {
    stdout.write(text.endsWith("\n") || text === "" ? text : text + "\n");
  }
  err(text: string): void {
    stderr.write(text.endsWith("\n") ? text : text + "\n");
  }

  /** The daemon address the user chose, if any (-H, BERTH_HOST, DOCKER_HOST). */
  explicitHost(): string | undefined {
    return this.globals.host || process.env.BERTH_HOST || process.env.DOCKER_HOST || undefined;
  }

  /**
   * The client; starts `berth daemon` in the background when the default socket has none. It
   * finds that out from the command's first request, not from a /_ping ahead of every command.
   */
  async client(): Promise<Client> {
    if (this.cached) return this.cached;
    const explicit = this.explicitHost();
    const client = new Client(clientOptionsFromEnv(explicit ?? `unix://${defaultSocketPath()}`, this.globals));
    if (!explicit && !this.globals.noAutostart) client.whenUnreachable = () => autostart(client);
    this.cached = client;
    return client;
  }
}

/**
 * Starts `berth daemon` detached (its own session, output to
 * `<data-root>/daemon.log`) and waits until it answers. Two CLIs racing here
 * are fine: the second daemon finds the pidfile taken and exits, and both
 * CLIs see the first one answer.
 */
async function autostart(client: Client): Promise<void> {
  const { closeSync, mkdirSync, openSync } = nodeFs();
  const dataRoot = process.env.BERTH_DATA_ROOT || "/var/lib/berth";
  mkdirSync(dataRoot, { recursive: true, mode: 0o700 });
  const logPath = `${dataRoot.replace(/\/+$/, "")}/daemon.log`;
  const log = openSync(logPath, "a");
  const [cmd, ...pre] = selfCommand();
  const child = nodeChildProcess().spawn(cmd!, [...pre, "daemon", "-H", `unix://${client.unix}`], {
    detached: true,
    stdio: ["ignore", log, log],
    env: process.env,
  });
  closeSync(log);
  child.unref();
  let exitedAt = 0;
  child.once("exit", () => (exitedAt = Date.now()));
  const deadline = Date.now() + autostartTimeoutMs;
  while (Date.now() < deadline) {
    if (await client.ping()) return;
    // A child that exited may have lost a race to another autostart: give that one a second.
    if (exitedAt && Date.now() - exitedAt > 1000) break;
    await Bun.sleep(10);
  }
  if (await client.ping()) return;
  throw new Error(`Cannot connect to the berth daemon at unix://${client.unix}: it was started but did not answer within ${autostartTimeoutMs / 1000}s; see ${logPath}`);
}
