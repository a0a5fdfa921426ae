// What every command gets: the API client (starting a daemon on demand),
// output helpers, and the global flags.
import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { Client, clientOptionsFromEnv } from "../client/client.ts";
import { defaultSocket } from "../daemon/config.ts";
import { selfCommand } from "../self.ts";

export interface Globals {
  host?: string;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  noAutostart: boolean;
  debug: boolean;
}

export class Context {
  private cached?: Client;
  constructor(readonly globals: Globals) {}

  out(text: string): void {
    process.stdout.write(text.endsWith("\n") || text === "" ? text : text + "\n");
  }
  err(text: string): void {
    process.stderr.write(text.endsWith("\n") ? text : text + "\n");
  }

  /** The client; starts `berth daemon` in the background when the default socket has none. */
  async client(): Promise<Client> {
    if (this.cached) return this.cached;
    const explicit = this.globals.host ?? process.env.BERTH_HOST ?? process.env.DOCKER_HOST;
    const client = new Client(clientOptionsFromEnv(explicit, this.globals));
    if (!explicit && !this.globals.noAutostart && !(await client.ping())) await autostart(client);
    this.cached = client;
    return client;
  }
}

async function autostart(client: Client): Promise<void> {
  const dataRoot = process.env.BERTH_DATA_ROOT || "/var/lib/berth";
  mkdirSync(dataRoot, { recursive: true, mode: 0o700 });
  const log = openSync(join(dataRoot, "daemon.log"), "a");
  const [cmd, ...pre] = selfCommand();
  const child = spawn(cmd!, [...pre, "daemon", "-H", `unix://${defaultSocket}`], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  child.unref();
  let exited = false;
  child.once("exit", () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await client.ping()) return;
    if (exited) break;
    await Bun.sleep(10);
  }
  throw new Error(`berth daemon did not start; see ${join(dataRoot, "daemon.log")}`);
}
