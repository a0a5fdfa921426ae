// The images a project's services run: built through the daemon's POST
// /build from the service's context (build.ts's context tar), or pulled when
// missing; `--build`, `--no-build` and `--pull` choose.
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { ApiError, jsonMessages } from "../../../client/client.ts";
import { ComposeError } from "../../../compose/errors.ts";
import type { Project, Service } from "../../../compose/types.ts";
import { contextTar, secretContextEntries } from "../build.ts";
import { secretsEntry } from "../../../build/context/secrets-entry.ts";
import { pullWithProgress } from "../registry.ts";
import { stderr } from "../../stdio.ts";
import type { ComposeContext } from "./command.ts";
import { environmentValue } from "./create-body.ts";
import { lineSplitter } from "./log-printer.ts";
import { imageName, label } from "./names.ts";
import { progress } from "./project-containers.ts";

async function hasImage(c: ComposeContext, name: string): Promise<boolean> {
  try {
    await (await c.client()).json("GET", `/images/${encodeURIComponent(name)}/json`);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw e;
  }
}

/** build.secrets: each top-level secret's bytes (its file, or the variable it names) under the id the Dockerfile mounts (target, else the secret's name). */
function buildSecrets(p: Project, service: string, s: Service): { id: string; data: Uint8Array }[] {
  return (s.build?.secrets ?? []).map((ref) => {
    const def = p.secrets[ref.source]!;
    const id = ref.target ?? ref.source;
    if (def.external) throw new ComposeError(`failed to build service "${service}": unsupported external secret ${def.name}`);
    if (def.file) {
      if (!existsSync(def.file)) throw new ComposeError(`failed to build service "${service}": secret ${ref.source}: open ${def.file}: no such file or directory`);
      return { id, data: readFileSync(def.file) };
    }
    return { id, data: new TextEncoder().encode(environmentValue(p, "secret", def) ?? "") };
  });
}

export interface BuildOptions {
  noCache?: boolean;
  pull?: boolean;
  quiet?: boolean;
  buildArgs?: Record<string, string>;
  /** Where the builder's output goes, line by line (stderr as it comes when not given). */
  lines?: (line: string) => void;
}

/** Builds one service's image; a failed build is compose's error with the builder's message. */
export async function buildService(c: ComposeContext, p: Project, service: string, s: Service, o: BuildOptions = {}): Promise<void> {
  const b = s.build!;
  const dir = b.context;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ComposeError(`unable to prepare context: path "${dir}" not found`);
  const secrets = buildSecrets(p, service, s);
  if (secrets.length && existsSync(`${dir}/${secretsEntry}`)) throw new ComposeError(`failed to build service "${service}": the context already has a ${secretsEntry}, the name berth sends secrets under`);
  const extras = secretContextEntries(secrets);
  let body: ReadableStream<Uint8Array>;
  let dockerfile: string;
  if (b.dockerfile_inline !== undefined) {
    dockerfile = ".berth-compose-dockerfile";
    body = await contextTar(dir, undefined, [{ name: dockerfile, data: new TextEncoder().encode(b.dockerfile_inline) }, ...extras]);
  } else {
    const file = resolve(dir, b.dockerfile ?? "Dockerfile");
    if (!existsSync(file)) throw new ComposeError(`failed to solve: failed to read dockerfile: open ${file}: no such file or directory`);
    const rel = relative(realpathSync(dir), realpathSync(file));
    if (rel.startsWith("..")) {
      dockerfile = ".berth-compose-dockerfile";
      body = await contextTar(dir, undefined, [{ name: dockerfile, data: readFileSync(file) }, ...extras]);
    } else {
      dockerfile = rel;
      body = await contextTar(dir, rel, extras);
    }
  }
  const name = imageName(p, service, s);
  progress((t) => c.ctx.err(t), "Service", service, "Building");
  const args = { ...Object.fromEntries(Object.entries(b.args ?? {}).filter(([, v]) => v !== null)), ...(o.buildArgs ?? {}) };
  const labels = { ...(b.labels ?? {}), [label.project]: p.name, [label.service]: service };
  const res = await (await c.client()).request("POST", "/build", {
    query: {
      t: name, dockerfile, buildargs: JSON.stringify(args), labels: JSON.stringify(labels), target: b.target,
      nocache: o.noCache, pull: o.pull, rm: true, forcerm: true, cachefrom: b.cache_from?.length ? JSON.stringify(b.cache_from) : undefined,
      secrets: secrets.length ? JSON.stringify(secrets.map((x) => x.id)) : undefined,
    },
    headers: { "Content-Type": "application/x-tar" },
    body: body as any,
  });
  const lines = o.lines && lineSplitter(o.lines);
  for await (const m of jsonMessages(res)) {
    if (m.error) throw new ComposeError(`failed to build service "${service}": ${m.errorDetail?.message ?? m.error}`);
    if (m.stream && !o.quiet) lines ? lines.feed(new TextEncoder().encode(m.stream)) : stderr.write(m.stream);
  }
  lines?.end();
  progress((t) => c.ctx.err(t), "Service", service, "Built");
}

export async function pullService(c: ComposeContext, p: Project, service: string, s: Service): Promise<void> {
  progress((t) => c.ctx.err(t), "Service", service, "Pulling");
  await pullWithProgress(c.ctx, s.image!, { quiet: true, out: stderr });
  progress((t) => c.ctx.err(t), "Service", service, "Pulled");
}

/**
 * Each service's image present: built when missing (always with `build: "always"` or pull_policy build),
 * pulled when missing (always with `pull: "always"`). As in compose, a service with no image: of its own is
 * never pulled, a buildable one whose pull fails is built instead, and one left without its image (--no-build,
 * --pull never) fails at its container's create with the daemon's "No such image".
 */
export async function ensureImages(c: ComposeContext, p: Project, services: string[], o: { build?: "always" | "missing" | "never"; pull?: "always" | "missing" | "never"; quiet?: boolean } = {}): Promise<void> {
  for (const n of services) {
    const s = p.services[n]!;
    const name = imageName(p, n, s);
    const policy = o.pull ?? (s.pull_policy as string | undefined) ?? "missing";
    const buildable = !!s.build && o.build !== "never";
    if (buildable && (o.build === "always" || policy === "build")) {
      await buildService(c, p, n, s, { quiet: o.quiet });
      continue;
    }
    if (s.image && (policy === "always" || (policy !== "never" && policy !== "build" && !(await hasImage(c, name))))) {
      try {
        await pullService(c, p, n, s);
        continue;
      } catch (e) {
        if (!buildable) throw e;
        c.ctx.err(`WARN[0000] ${n}: ${(e as Error).message}`);
      }
    }
    if (buildable && !(await hasImage(c, name))) await buildService(c, p, n, s, { quiet: o.quiet });
  }
}
