// The `X inspect` loop the docker CLI shares between object kinds: every name
// looked up, a 404 reported and the rest still printed, exit 1 if any failed.
import type { Context } from "../context.ts";
import { ApiError } from "../../client/client.ts";
import { formatInspect, printJson } from "../output.ts";
import { stdout } from "../stdio.ts";

export async function inspectEach(ctx: Context, format: string | undefined, names: string[], path: (name: string) => string): Promise<number> {
  const client = await ctx.client();
  const results: unknown[] = [];
  let failed = false;
  for (const name of names) {
    try {
      results.push(await client.json("GET", path(name)));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      ctx.err(`Error response from daemon: ${e.message}`);
      failed = true;
    }
  }
  if (format) for (const r of results) ctx.out(formatInspect(format, r).replace(/\n$/, ""));
  else stdout.write(printJson(results));
  return failed ? 1 : 0;
}
