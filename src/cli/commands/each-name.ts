// The per-name loop of docker's multi-object commands (stop, rm, network rm,
// volume rm…): each name in turn, echoed when done, an error printed for the
// daemon's refusals, and exit 1 at the end if any failed.
import type { Context } from "../context.ts";
import { ApiError } from "../../client/client.ts";

/** `action` returns "skip" for a name that is neither echoed nor an error (`network rm -f` of a missing one). */
export async function eachName(ctx: Context, names: string[], action: (name: string) => Promise<void | "skip">, echo = true): Promise<number> {
  let failed = false;
  for (const n of names) {
    try {
      if ((await action(n)) !== "skip" && echo) ctx.out(n);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      ctx.err(`Error response from daemon: ${e.message}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
