// run and create: the container's config from the flags, a pull when the image
// is missing, and for run the attach, wait and start. A module of its own, so
// that `berth run` loads none of the other container commands' code (tables,
// templates, inspect).
import type { Command } from "../command.ts";
import { ApiError } from "../../client/client.ts";
import { hijack } from "../../client/hijack.ts";
import { containerConfigFlags, createBody } from "./run-flags.ts";
import { UsageError } from "../flags.ts";
import type { Context } from "../context.ts";
import { familiarString, parseReference, withDefaultTag } from "../../image/reference.ts";
import { detachKeysFlag, detachKeysOption, exitStatus, pumpResponse, pumpStreams, resizer } from "./attach-stream.ts";
import { stderr } from "../stdio.ts";

/** Docker's exit codes for a failed start: 127 not found, 126 cannot invoke, 125 otherwise. */
function startFailureCode(e: ApiError): number {
  if (/executable file not found|no such file or directory/.test(e.message)) return 127;
  if (/permission denied|exec format error/.test(e.message)) return 126;
  return 125;
}

/** `--pull` policy check: Docker's values only. */
function pullPolicy(f: Record<string, any>): "always" | "missing" | "never" {
  const p = f.pull ?? "missing";
  if (p !== "always" && p !== "missing" && p !== "never") {
    throw new UsageError(`invalid pull option: '${p}': must be one of "always", "missing" or "never"`);
  }
  return p;
}

/** Creates the container, pulling its image first as `--pull` says (progress on stderr, as docker run). */
async function createContainer(ctx: Context, f: Record<string, any>, args: string[]): Promise<string> {
  const client = await ctx.client();
  const policy = pullPolicy(f);
  // The pull's code (progress bars, credentials) is loaded only when a pull happens.
  const pull = async () => {
    const [{ pullWithProgress }, { StreamError }] = await Promise.all([import("./registry.ts"), import("../format/json-messages.ts")]);
    await pullWithProgress(ctx, args[0]!, { platform: f.platform, out: stderr }).catch((e) => {
      throw e instanceof StreamError ? new ApiError(500, e.message) : e;
    });
  };
  if (policy === "always") await pull();
  const create = async () => {
    const res = await client.json("POST", "/containers/create", { query: { name: f.name, platform: f.platform }, json: createBody(f, args) });
    for (const w of res.Warnings ?? []) stderr.write(`WARNING: ${w}\n`);
    return res.Id as string;
  };
  try {
    return await create();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404 && /No such image/.test(e.message)) || policy !== "missing") throw e;
    stderr.write(`Unable to find image '${familiarString(withDefaultTag(parseReference(args[0]!)))}' locally\n`);
    await pull();
    return create();
  }
}

export const runCommand: Command = {
  names: ["run", "container run"],
  synopsis: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
  description: "Create and run a new container from an image",
  flags: [
    ...containerConfigFlags,
    { name: "detach", short: "d", type: "bool", help: "Run container in background and print container ID" },
    detachKeysFlag,
  ],
  stopAtPositional: true,
  minArgs: 1,
  async run(ctx, f, args) {
    const client = await ctx.client();
    let id: string;
    try {
      id = await createContainer(ctx, f, args);
    } catch (e) {
      if (e instanceof ApiError) {
        stderr.write(`berth: Error response from daemon: ${e.message}.\nSee 'berth run --help'.\n`);
        return 125;
      }
      throw e;
    }
    if (f.detach) {
      try {
        await client.request("POST", `/containers/${id}/start`);
      } catch (e) {
        if (e instanceof ApiError) {
          stderr.write(`berth: Error response from daemon: ${e.message}.\n`);
          return startFailureCode(e);
        }
        throw e;
      }
      ctx.out(id);
      return 0;
    }
    const streams = { tty: f.tty, stdin: f.interactive, resize: resizer(client, `/containers/${id}/resize`) };
    const query = { stream: true, stdout: true, stderr: true };
    let attached: Awaited<ReturnType<typeof hijack>> | undefined;
    let output: Response | undefined;
    let pumping: Promise<{ detached: boolean }>;
    // Ends the output stream when nothing will run (a failed start): the daemon would hold it open for the next start.
    const stopOutput = new AbortController();
    // The daemon has the attachment in place once the answer's head is here: nothing is missed.
    if (f.interactive) {
      const detach = await detachKeysOption(f["detach-keys"], ctx.globals.configDir);
      attached = await hijack(client, `/containers/${id}/attach`, { ...query, stdin: true, detachKeys: detach.spec });
      pumping = pumpStreams(attached.socket, attached.head, { ...streams, detachKeys: detach.keys });
    } else {
      output = await client.request("POST", `/containers/${id}/attach`, { query, signal: stopOutput.signal });
      pumping = pumpResponse(output, streams, stopOutput.signal);
    }
    const stopWaiting = new AbortController();
    const waitRes = client.request("POST", `/containers/${id}/wait`, { query: { condition: f.rm ? "removed" : "next-exit" }, signal: stopWaiting.signal });
    waitRes.catch(() => {}); // awaited below; a failure before then must not be unhandled
    try {
      await client.request("POST", `/containers/${id}/start`);
    } catch (e) {
      stopWaiting.abort(); // nothing ran: no exit to wait for
      attached?.socket.destroy();
      stopOutput.abort(); // its body is being read: cancel() would be refused (locked) and the command would hang
      void pumping.catch(() => {}); // ended by that abort: nothing to report
      if (e instanceof ApiError) {
        stderr.write(`berth: Error response from daemon: ${e.message}.\n`);
        if (f.rm) await client.request("DELETE", `/containers/${id}`, { query: { force: true } }).catch(() => {}); // the start's error is the one to report
        return startFailureCode(e);
      }
      throw e;
    }
    if ((await pumping).detached) {
      stopWaiting.abort(); // the container runs on; nothing to wait for
      return 0;
    }
    return exitStatus(await waitRes);
  },
};

export const createCommand: Command = {
  names: ["create", "container create"],
  synopsis: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
  description: "Create a new container",
  flags: containerConfigFlags,
  stopAtPositional: true,
  minArgs: 1,
  async run(ctx, f, args) {
    ctx.out(await createContainer(ctx, f, args));
    return 0;
  },
};
