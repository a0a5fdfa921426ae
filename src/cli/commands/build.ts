// `berth build`: the context (a directory with .dockerignore applied, a tar
// or Dockerfile on stdin) goes to POST /build as a tar stream; the daemon's
// step-by-step messages are printed as they come (the classic builder's
// plain progress), drawn step by step in place on a terminal, or only the
// image ID with -q.
import { existsSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { nodeStream } from "../../builtins.ts";
import type { Command } from "../command.ts";
import type { Context } from "../context.ts";
import { jsonMessages } from "../../client/client.ts";
import { paced, stdout } from "../stdio.ts";
import { BuildProgress } from "../format/build-progress.ts";
import { secretsEntry } from "../../build/context/secrets-entry.ts";
import type { PackExtra } from "../../build/context/pack.ts";

/** `--build-arg A=1` → {A: "1"}; `--build-arg A` takes A from the environment (null when unset there). */
function keyValues(list: string[], fromEnv: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const item of list) {
    const i = item.indexOf("=");
    if (i >= 0) out[item.slice(0, i)] = item.slice(i + 1);
    else out[item] = fromEnv ? (process.env[item] ?? null) : "";
  }
  return out;
}

async function readStdin(): Promise<Uint8Array> {
  return new Uint8Array(await new Response(nodeStream().Readable.toWeb(process.stdin) as any).arrayBuffer());
}

/** The context directory as a tar: .dockerignore applied (the Dockerfile and .dockerignore always go), owners 0:0 as the docker CLI sends them. */
export async function contextTar(dir: string, dockerfileRel: string | undefined, extras: PackExtra[] = []): Promise<ReadableStream<Uint8Array>> {
  const [{ packContext, packStream }, { IgnoreMatcher }] = await Promise.all([import("../../build/context/pack.ts"), import("../../build/context/dockerignore.ts")]);
  const ignoreFile = `${dir}/.dockerignore`;
  const m = IgnoreMatcher.parse(existsSync(ignoreFile) ? readFileSync(ignoreFile, "utf8") : "");
  const keep = [".dockerignore", ...(dockerfileRel ? [dockerfileRel] : [])];
  return packStream(packContext(dir, {
    leftOut: (path) => !keep.includes(path) && m.ignores(path),
    mustWalk: (sub) => m.mayReinclude() || keep.some((k) => k.startsWith(`${sub}/`)),
  }, extras));
}

/**
 * Build secrets as entries of the context berth sends (the classic builder's API has no
 * channel for them): a directory under a reserved name the daemon moves out before anything
 * reads the context, one file per id. The request's `secrets` query names the ids.
 */
export function secretContextEntries(list: { id: string; data: Uint8Array }[]): { name: string; data: Uint8Array; mode: number }[] {
  if (!list.length) return [];
  return [{ name: `${secretsEntry}/`, data: new Uint8Array(), mode: 0o700 }, ...list.map((x) => ({ name: `${secretsEntry}/${x.id}`, data: x.data, mode: 0o600 }))];
}

export const buildCommand: Command = {
  names: ["build", "image build", "builder build"],
  synopsis: "[OPTIONS] PATH | URL | -",
  description: "Build an image from a Dockerfile",
  flags: [
    { name: "build-arg", type: "list", valueName: "list", help: "Set build-time variables" },
    { name: "cache-from", type: "list", valueName: "strings", help: "Images to consider as cache sources" },
    { name: "file", short: "f", type: "string", help: "Name of the Dockerfile (Default is 'PATH/Dockerfile')" },
    { name: "iidfile", type: "string", help: "Write the image ID to the file" },
    { name: "label", type: "list", valueName: "list", help: "Set metadata for an image" },
    { name: "network", type: "string", default: "default", help: "Set the networking mode for the RUN instructions during build" },
    { name: "no-cache", type: "bool", help: "Do not use cache when building the image" },
    { name: "output", short: "o", type: "list", valueName: "stringArray", help: 'Output destination (format: "type=local,dest=path")' },
    { name: "platform", type: "string", help: "Set platform if server is multi-platform capable" },
    { name: "progress", type: "string", default: "auto", help: "Set type of progress output (auto, plain, tty)" },
    { name: "pull", type: "bool", help: "Always attempt to pull a newer version of the image" },
    { name: "quiet", short: "q", type: "bool", help: "Suppress the build output and print image ID on success" },
    { name: "secret", type: "list", valueName: "stringArray", help: 'Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")' },
    { name: "rm", type: "bool", default: true, help: "Remove intermediate containers after a successful build" },
    { name: "force-rm", type: "bool", help: "Always remove intermediate containers" },
    { name: "tag", short: "t", type: "list", valueName: "list", help: "Name and optionally a tag in the \"name:tag\" format" },
    { name: "target", type: "string", help: "Set the target build stage to build." },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, f, [contextArg]) {
    if (!["auto", "plain", "tty"].includes(f.progress)) throw new Error(`invalid progress mode "${f.progress}": auto, plain or tty`);
    let body: ReadableStream<Uint8Array> | Uint8Array | undefined;
    let dockerfile: string | undefined;
    let remote: string | undefined;
    const secretList = (f.secret as string[]).map(parseSecret);
    // The classic builder's API has no channel for secrets: they travel in the context, under a
    // name the daemon takes out before anything reads the context (berth's daemon only).
    const secrets = secretContextEntries(secretList);
    if (secretList.length && (contextArg === "-" || /^(https?|git):\/\/|^git@/.test(contextArg!))) {
      throw new Error("--secret needs a context directory: secrets travel inside the context berth sends");
    }
    const random = () => `.dockerfile.${crypto.getRandomValues(new Uint8Array(10)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "")}`;
    if (/^(https?|git):\/\/|^git@/.test(contextArg!)) {
      // The daemon downloads it, as dockerd does for the docker CLI.
      if (f.file === "-") throw new Error("invalid argument: can't use stdin for the Dockerfile with a URL context");
      remote = contextArg;
      dockerfile = f.file;
    } else if (contextArg === "-") {
      if (f.file === "-") throw new Error("invalid argument: can't use stdin for both build context and dockerfile");
      body = await readStdin();
      dockerfile = f.file;
    } else {
      const dir = resolve(contextArg!);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`unable to prepare context: path "${contextArg}" not found`);
      if (secretList.length && existsSync(`${dir}/${secretsEntry}`)) throw new Error(`--secret: the context already has a ${secretsEntry}, the name berth sends secrets under`);
      if (f.file === "-") {
        const name = random();
        body = await contextTar(dir, undefined, [{ name, data: await readStdin() }, ...secrets]);
        dockerfile = name;
      } else {
        const file = f.file ? resolve(f.file) : `${dir}/Dockerfile`;
        if (!existsSync(file)) throw new Error(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${file}: no such file or directory`);
        const rel = relative(realpathSync(dir), realpathSync(file));
        if (rel.startsWith("..")) {
          // A Dockerfile outside the context travels inside it under a name of its own.
          const name = random();
          body = await contextTar(dir, undefined, [{ name, data: readFileSync(file) }, ...secrets]);
          dockerfile = name;
        } else {
          body = await contextTar(dir, rel, secrets);
          dockerfile = rel;
        }
      }
    }
    const buildArgs = keyValues(f["build-arg"], true);
    const labels = keyValues(f.label, false);
    const res = await (await ctx.client()).request("POST", "/build", {
      query: {
        dockerfile, remote, secrets: secretList.length ? JSON.stringify(secretList.map((x) => x.id)) : undefined, t: f.tag, buildargs: Object.keys(buildArgs).length ? JSON.stringify(buildArgs) : undefined,
        labels: Object.keys(labels).length ? JSON.stringify(labels) : undefined, target: f.target, nocache: f["no-cache"],
        cachefrom: f["cache-from"].length ? JSON.stringify(f["cache-from"]) : undefined,
        q: f.quiet, networkmode: f.network, platform: f.platform, pull: f.pull, rm: f.rm, forcerm: f["force-rm"],
      },
      headers: body ? { "Content-Type": "application/x-tar" } : {},
      body: body as any,
    });
    let id = "";
    // On a terminal (or with --progress=tty) the steps are drawn in place; else the daemon's text as it comes.
    const drawn = !f.quiet && (f.progress === "tty" || (f.progress === "auto" && stdout.isTTY)) ? new BuildProgress((t) => void stdout.write(t), stdout.columns || 80) : undefined;
    try {
      for await (const m of paced(jsonMessages(res))) {
        if (m.error) {
          drawn?.finish(m.error);
          ctx.err(m.error);
          return m.errorDetail?.code || 1;
        }
        if (m.aux?.ID) id = m.aux.ID;
        // berthHeldMs: how long the daemon held a concurrent stage's text back, until the stages before it were done (a duration, so no clock skew).
        if (m.stream && !f.quiet) drawn ? drawn.add(m.stream, typeof m.berthHeldMs === "number" ? Date.now() - m.berthHeldMs : undefined) : stdout.write(m.stream);
      }
      drawn?.finish();
    } finally {
      drawn?.stop();
    }
    if (f.output.length) await exportOutput(ctx, id, parseOutput(f.output), f.tag.length === 0);
    if (f.quiet) ctx.out(id);
    if (f.iidfile) writeFileSync(f.iidfile, id);
    return 0;
  },
};

/** `--secret id=x,src=FILE`, `id=x,env=VAR` (`type=file|env`); `id=x` alone reads the variable of that name. */
function parseSecret(spec: string): { id: string; data: Uint8Array } {
  const fields: Record<string, string> = {};
  for (const kv of spec.split(",")) {
    const i = kv.indexOf("=");
    if (i < 0) throw new Error(`invalid secret ${JSON.stringify(spec)}: want key=value pairs`);
    fields[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1);
  }
  const id = fields.id;
  if (!id || !/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`invalid secret ${JSON.stringify(spec)}: an id of letters, digits, '_', '.' and '-' is required`);
  const src = fields.src ?? fields.source;
  const env = fields.env ?? (fields.type === "env" ? src ?? id : undefined);
  if (fields.type && !["file", "env"].includes(fields.type)) throw new Error(`invalid secret ${JSON.stringify(spec)}: unsupported type ${JSON.stringify(fields.type)}`);
  if (env !== undefined || (src === undefined && process.env[id] !== undefined)) {
    const v = process.env[env ?? id];
    if (v === undefined) throw new Error(`secret ${id}: environment variable ${env ?? id} is not set`);
    return { id, data: new TextEncoder().encode(v) };
  }
  if (src === undefined) throw new Error(`secret ${id}: give src=FILE or env=VAR`);
  if (!existsSync(src)) throw new Error(`failed to stat ${src}: no such file or directory`);
  return { id, data: readFileSync(src) };
}

interface Output {
  type: "local" | "tar";
  dest: string;
}

/** `-o DIR`, `-o type=local,dest=DIR`, `-o type=tar,dest=FILE` (`-` for stdout). */
function parseOutput(list: string[]): Output {
  if (list.length > 1) throw new Error("multiple outputs are not supported");
  const spec = list[0]!;
  if (!spec.includes("=")) return spec === "-" ? { type: "tar", dest: "-" } : { type: "local", dest: spec };
  const fields = Object.fromEntries(spec.split(",").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  if (fields.type !== "local" && fields.type !== "tar") throw new Error(`output type "${fields.type}" is not supported (local or tar)`);
  if (!fields.dest) throw new Error(`dest is required for ${fields.type} exporter`);
  return { type: fields.type, dest: fields.dest };
}

/**
 * The built stage's files, written out: the image's filesystem is exported
 * through a container that never runs, which goes afterwards (and the image
 * too when no -t named it: only the files were asked for).
 */
async function exportOutput(ctx: Context, imageId: string, out: Output, dropImage: boolean): Promise<void> {
  const client = await ctx.client();
  const { Id } = await client.json<{ Id: string }>("POST", "/containers/create", { json: { Image: imageId, Cmd: ["/"], Entrypoint: [] } });
  try {
    const res = await client.request("GET", `/containers/${Id}/export`);
    if (out.type === "tar") {
      if (out.dest === "-") for await (const chunk of paced(res.body!)) stdout.write(chunk);
      else await Bun.write(out.dest, res);
    } else {
      const { applyLayer } = await import("../../layer/apply.ts");
      await applyLayer(res.body as any, resolve(out.dest), { whiteoutMode: "delete", devices: "skip" });
    }
  } finally {
    // The build's own outcome is what the user asked for; a leftover is swept by prune.
    await client.request("DELETE", `/containers/${Id}`, { query: { force: true } }).catch(() => {});
    if (dropImage) await client.request("DELETE", `/images/${imageId}`, { query: { noprune: true } }).catch(() => {});
  }
}
