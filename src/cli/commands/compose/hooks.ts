// post_start and pre_stop: commands compose runs in a service's container
// right after it starts and right before it is stopped, as execs (the hook's
// user, privileged, working_dir and environment); a hook that exits non-zero
// fails the command, in compose's words.
import type { Client } from "../../../client/client.ts";
import { ComposeError } from "../../../compose/errors.ts";
import type { Project } from "../../../compose/types.ts";

interface Hook {
  command: string[];
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: Record<string, string | null>;
}

/** Runs a service's hooks of one kind in a container, one after another. */
export async function runHooks(client: Client, p: Project, service: string, id: string, kind: "post_start" | "pre_stop"): Promise<void> {
  for (const h of (p.services[service]?.[kind] as Hook[] | undefined) ?? []) {
    const env = Object.entries(h.environment ?? {}).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
    const { Id } = await client.json<{ Id: string }>("POST", `/containers/${id}/exec`, {
      json: { Cmd: h.command, User: h.user ?? "", Privileged: !!h.privileged, WorkingDir: h.working_dir ?? "", Env: env, AttachStdout: false, AttachStderr: false },
    });
    await client.request("POST", `/exec/${Id}/start`, { json: { Detach: true } });
    // No exec wait in the API: poll as compose does.
    for (;;) {
      const info = await client.json<{ Running: boolean; ExitCode: number | null }>("GET", `/exec/${Id}/json`);
      if (!info.Running && info.ExitCode !== null) {
        if (info.ExitCode !== 0) throw new ComposeError(`${service} hook exited with status ${info.ExitCode}`);
        break;
      }
      await Bun.sleep(100);
    }
  }
}
