// post_start and pre_stop: commands compose runs in a service's container
// right after it starts and right before it is stopped, as execs (the hook's
// user, privileged, working_dir and environment); a hook that exits non-zero
// fails the command, in compose's words. Given somewhere to print, a hook's
// output is shown line by line (attached `up` prints it among the service's
// output, as compose does); otherwise the exec runs detached and compose
// polls for its end.
import { jsonMessages, type Client } from "../../../client/client.ts";
import { demuxer } from "../../../client/hijack.ts";
import { ComposeError } from "../../../compose/errors.ts";
import type { Project } from "../../../compose/types.ts";
import { lineSplitter } from "./log-printer.ts";

export interface Hook {
  command: string[];
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: Record<string, string | null>;
}

/** Where a hook's output lines go. */
export type HookOutput = (line: string) => void;

interface ExecState {
  Running: boolean;
  ExitCode: number | null;
}

/** Runs a service's hooks of one kind in a container, one after another. */
export async function runHooks(client: Client, p: Project, service: string, id: string, kind: "post_start" | "pre_stop", output?: HookOutput): Promise<void> {
  const tty = !!p.services[service]?.tty;
  for (const h of (p.services[service]?.[kind] as Hook[] | undefined) ?? []) {
    const code = await runHook(client, id, h, tty, output);
    if (code !== 0) throw new ComposeError(`${service} hook exited with status ${code}`);
  }
}

/** Runs one hook (or a watch rule's exec) as an exec in a container; its exit code. */
export async function runHook(client: Client, id: string, h: Hook, tty: boolean, output?: HookOutput): Promise<number> {
  const env = Object.entries(h.environment ?? {}).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
  const { Id } = await client.json<{ Id: string }>("POST", `/containers/${id}/exec`, {
    json: { Cmd: h.command, User: h.user ?? "", Privileged: !!h.privileged, WorkingDir: h.working_dir ?? "", Env: env, AttachStdout: !!output, AttachStderr: !!output, Tty: !!output && tty },
  });
  if (output) {
    const res = await client.request("POST", `/exec/${Id}/start`, { json: { Detach: false, Tty: tty } });
    const lines = lineSplitter(output);
    const feed = tty ? lines.feed : demuxer(lines.feed, lines.feed);
    for await (const chunk of res.body!) feed(chunk);
    lines.end();
  } else {
    await client.request("POST", `/exec/${Id}/start`, { json: { Detach: true } });
  }
  // No exec wait in the API: poll as compose does (once the output has ended, the first answer is the last).
  let info: ExecState;
  for (;;) {
    info = await client.json<ExecState>("GET", `/exec/${Id}/json`);
    if (!info.Running && info.ExitCode !== null) break;
    await Bun.sleep(100);
  }
  return info.ExitCode!;
}

/**
 * compose run's post_start hooks (docker compose runs them since 5.1): the start
 * also attaches, so the hooks wait for the container's start event and run
 * detached. Once the start has returned, `settle(started)` waits for the
 * hooks (the event is on its way if the container started; if it never did,
 * the wait ends) and answers their failure, if any.
 */
export async function postStartOnStartEvent(client: Client, p: Project, service: string, id: string): Promise<{ settle(started: boolean): Promise<unknown> }> {
  if (!(p.services[service]?.post_start as Hook[] | undefined)?.length) return { settle: async () => undefined };
  const abort = new AbortController();
  const filters = { type: ["container"], container: [id], event: ["start"] };
  // Asked for before the start, and from a second ago (the container is new: it has no older start), so that
  // the event is replayed if it comes before the daemon has subscribed this stream.
  const res = await client.request("GET", "/events", { query: { filters: JSON.stringify(filters), since: Math.floor(Date.now() / 1000) - 1 }, signal: abort.signal });
  const hooks = jsonMessages(res).next().then((m) => !m.done, () => false).then((yes) => {
    abort.abort();
    return yes ? runHooks(client, p, service, id, "post_start").then(() => undefined, (e) => e) : undefined;
  });
  return {
    settle(started) {
      if (!started) abort.abort();
      return hooks;
    },
  };
}
