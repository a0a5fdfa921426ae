// The daemon's side of `__archive` (main.ts): cp and export of a root the
// container may be changing, each run in a short-lived process chrooted there.
import { selfCommand } from "../../self.ts";
import { BerthError } from "../../errors.ts";
import type { PathStat } from "./in-root.ts";
import { closeSync } from "node:fs";
import { enterCommand, starterFor } from "../userns/spawn.ts";
import { userNamespaceOf } from "../userns/idmapped-mount.ts";
import type { IdRange } from "../userns/id-map.ts";

type IdMaps = { uidMap: IdRange[]; gidMap: IdRange[] };

export type { PathStat } from "./in-root.ts";

/** The PID whose root `root` is (/proc/PID/root: a running container's), or 0. */
const runningRoot = (root: string) => Number(/^\/proc\/(\d+)\/root$/.exec(root)?.[1] ?? 0);

/**
 * In a remapped container's root (/proc/PID/root of one in a user namespace of its own) the helper
 * runs as that namespace's root, through the starter: what cp writes belongs to the container's
 * users (tar owner 0 is the container's root, not the host's), as with dockerd.
 */
function spawnArchive(args: string[], stdin: "ignore" | "pipe" = "ignore") {
  const command = [...selfCommand(), "__archive", ...args];
  const pid = runningRoot(args[1]!);
  const starter = pid ? starterFor(pid) : undefined;
  if (!starter) return Bun.spawn(command, { stdin, stdout: "pipe", stderr: "pipe" });
  const userns = userNamespaceOf(pid);
  try {
    return Bun.spawn(enterCommand(starter, command), { stdio: [stdin, "pipe", "pipe", "ignore", userns] });
  } finally {
    closeSync(userns);
  }
}

/** The helper's failure as the error it reported (status and message), or a plain one. */
async function failure(proc: ReturnType<typeof spawnArchive>): Promise<Error> {
  const text = (await new Response(proc.stderr).text()).trim();
  try {
    const { status, message } = JSON.parse(text.split("\n").pop()!);
    return new BerthError(message, status);
  } catch {
    return new Error(`copying in the container's root failed: ${text || `exit ${proc.exitCode}`}`);
  }
}

export async function statInRoot(root: string, path: string, rootName?: string): Promise<PathStat> {
  const proc = spawnArchive(["stat", root, path, ...(rootName ? [rootName] : [])]);
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw await failure(proc);
  return JSON.parse(out);
}

const idArgs = (ids: IdMaps | undefined) => (ids ? [JSON.stringify({ uidMap: ids.uidMap, gidMap: ids.gidMap })] : []);

/**
 * A tar of `path` in `root` as it streams out of the helper; a failure errors the stream. `ids`: a
 * remapped container's mapping, whose host ids (the files its processes wrote) go out as its own.
 */
export function tarFromRoot(root: string, path: string, rootName?: string, ids?: IdMaps): ReadableStream<Uint8Array> {
  const proc = spawnArchive(["get", root, path, rootName ?? "", ...idArgs(ids)]);
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await reader.read();
      if (!r.done) return controller.enqueue(r.value);
      if ((await proc.exited) === 0) controller.close();
      else controller.error(await failure(proc));
    },
    cancel() {
      proc.kill(9);
    },
  });
}

/**
 * `ids`: the remapped container's mapping, under which the tar's owners are the container's ids; the
 * helper shifts them into its range on the host, unless it runs in the running container's namespace.
 */
export async function extractIntoRoot(root: string, path: string, tar: ReadableStream<Uint8Array>, ids?: IdMaps): Promise<void> {
  const proc = spawnArchive(["put", root, path, "", ...idArgs(runningRoot(root) ? undefined : ids)], "pipe");
  const sink = proc.stdin as import("bun").FileSink;
  let sendError: unknown;
  try {
    for await (const chunk of tar) {
      sink.write(chunk);
      await sink.flush();
    }
  } catch (e) {
    sendError = e; // the client went away, or the helper stopped reading because it failed
  }
  try {
    await sink.end();
  } catch {
    // the helper's end is already closed: its exit says why
  }
  if (sendError !== undefined && proc.exitCode === null) proc.kill(9);
  const code = await proc.exited;
  if (code !== 0 && proc.signalCode === null) throw await failure(proc);
  if (sendError !== undefined) throw sendError;
}
