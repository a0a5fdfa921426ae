// berth exec: run a command in a running container.
import type { Command } from "../command.ts";
import { hijack } from "../../client/hijack.ts";
import { consoleSize, detachKeysFlag, detachKeysOption, pumpResponse, pumpStreams, resizer } from "./attach-stream.ts";

export const execCommand: Command = {
  names: ["exec", "container exec"],
  synopsis: "[OPTIONS] CONTAINER COMMAND [ARG...]",
  description: "Execute a command in a running container",
  flags: [
    { name: "detach", short: "d", type: "bool", help: "Detached mode: run command in the background" },
    { name: "interactive", short: "i", type: "bool", help: "Keep STDIN open even if not attached" },
    { name: "tty", short: "t", type: "bool", help: "Allocate a pseudo-TTY" },
    { name: "env", short: "e", type: "list", help: "Set environment variables" },
    { name: "user", short: "u", type: "string", help: "Username or UID (format: <name|uid>[:<group|gid>])" },
    { name: "workdir", short: "w", type: "string", help: "Working directory inside the container" },
    { name: "privileged", type: "bool", help: "Give extended privileges to the command" },
    detachKeysFlag,
  ],
  stopAtPositional: true,
  minArgs: 2,
  async run(ctx, f, [container, ...cmd]) {
    const client = await ctx.client();
    // Detach keys act on typed input: without -i there is none.
    const detach = f.interactive ? await detachKeysOption(f["detach-keys"], ctx.globals.configDir) : { spec: undefined, keys: [] };
    const body = {
      AttachStdin: f.interactive && !f.detach, AttachStdout: !f.detach, AttachStderr: !f.detach, Tty: f.tty,
      Env: f.env, User: f.user ?? "", WorkingDir: f.workdir ?? "", Privileged: f.privileged, Cmd: cmd,
      // Only a terminal has a size (docker's fillConsoleSize); asking costs a non-tty exec an fstat and node:fs.
      ...(f.tty ? { ConsoleSize: consoleSize() } : {}),
      ...(detach.spec ? { DetachKeys: detach.spec } : {}),
    };
    const { Id } = await client.json("POST", `/containers/${container}/exec`, { json: body });
    if (f.detach) {
      await client.request("POST", `/exec/${Id}/start`, { json: { Detach: true, Tty: f.tty } });
      return 0;
    }
    const streams = { tty: f.tty, stdin: f.interactive, resize: resizer(client, `/exec/${Id}/resize`) };
    let detached = false;
    if (f.interactive) {
      const h = await hijack(client, `/exec/${Id}/start`, {}, { Detach: false, Tty: f.tty });
      ({ detached } = await pumpStreams(h.socket, h.head, { ...streams, detachKeys: detach.keys }));
    } else {
      // Output only: a plain streamed answer, no socket of our own (see pumpResponse).
      await pumpResponse(await client.request("POST", `/exec/${Id}/start`, { json: { Detach: false, Tty: f.tty } }), streams);
    }
    if (detached) return 0;
    const info = await client.json("GET", `/exec/${Id}/json`);
    return info.ExitCode ?? 0;
  },
};
