// berth cp: copy files between a container and the host, as tar streams over
// the archive endpoints (GET/HEAD/PUT /containers/{id}/archive). The tar code
// loads when a copy runs: every other command would pay for it at start.
import { existsSync, mkdtempSync, renameSync, rmSync, statSync, readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "../command.ts";
import { ApiError } from "../../client/client.ts";
import { paced, stdout } from "../stdio.ts";

/** A tar stream of a host path, its top entry named `name`. */
async function localTar(path: string, name: string): Promise<ReadableStream<Uint8Array>> {
  const [{ tarStream }, { pathEntries }] = await Promise.all([import("../../layer/tar/write.ts"), import("../../layer/diff.ts")]);
  return tarStream(pathEntries(path, name));
}

function splitContainerPath(arg: string): { container?: string; path: string } {
  const i = arg.indexOf(":");
  // A path with a slash before the colon is a host path (./a:b), as docker decides.
  if (i <= 0 || arg.slice(0, i).includes("/")) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

export const cpCommand: Command = {
  names: ["cp", "container cp"],
  synopsis: "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
  description: "Copy files/folders between a container and the local filesystem",
  flags: [{ name: "archive", short: "a", type: "bool", help: "Archive mode (copy all uid/gid information)" }],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, _f, [srcArg, dstArg]) {
    const src = splitContainerPath(srcArg!);
    const dst = splitContainerPath(dstArg!);
    if (!!src.container === !!dst.container) throw new Error("copying between containers or between two local paths is not supported; one side must be CONTAINER:PATH");
    const client = await ctx.client();
    if (src.container) {
      const res = await client.request("GET", `/containers/${src.container}/archive`, { query: { path: src.path } });
      if (dst.path === "-") {
        for await (const chunk of paced(res.body!)) stdout.write(chunk);
        return 0;
      }
      const target = resolve(dst.path);
      const { applyLayer } = await import("../../layer/apply.ts");
      if (existsSync(target) && statSync(target).isDirectory()) {
        await applyLayer(res.body!, target, { whiteoutMode: "delete" });
        return 0;
      }
      if (!existsSync(dirname(target))) throw new Error(`destination directory ${dirname(target)} does not exist`);
      // Unpack beside the destination, then give the copied item the destination's name.
      const tmp = mkdtempSync(join(dirname(target), ".berth-cp-"));
      try {
        await applyLayer(res.body!, tmp, { whiteoutMode: "delete" });
        const [top] = readdirSync(tmp);
        if (!top) throw new Error(`nothing was copied from ${src.path}`);
        rmSync(target, { recursive: true, force: true });
        renameSync(join(tmp, top), target);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      return 0;
    }
    const container = dst.container!;
    let destDir = dst.path;
    let name = basename(resolve(src.path));
    try {
      const head = await client.request("HEAD", `/containers/${container}/archive`, { query: { path: dst.path } });
      const stat = JSON.parse(Buffer.from(head.headers.get("x-docker-container-path-stat") ?? "", "base64").toString() || "{}");
      const isDir = ((stat.mode ?? 0) >>> 0) & 0x80000000;
      if (!isDir) [destDir, name] = [dirname(dst.path), basename(dst.path)];
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      [destDir, name] = [dirname(dst.path), basename(dst.path)];
    }
    const body = src.path === "-" ? (Bun.stdin.stream() as ReadableStream<Uint8Array>) : await localTar(resolve(src.path), name);
    await client.request("PUT", `/containers/${container}/archive`, { query: { path: destDir }, body, headers: { "Content-Type": "application/x-tar" } });
    return 0;
  },
};

export const exportCommand: Command = {
  names: ["export", "container export"],
  synopsis: "[OPTIONS] CONTAINER",
  description: "Export a container's filesystem as a tar archive",
  flags: [{ name: "output", short: "o", type: "string", help: "Write to a file, instead of STDOUT" }],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, f, [name]) {
    if (!f.output && stdout.isTTY) throw new Error("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    const res = await (await ctx.client()).request("GET", `/containers/${name}/export`);
    if (f.output) await Bun.write(f.output, res);
    else for await (const chunk of paced(res.body!)) stdout.write(chunk);
    return 0;
  },
};
