// RUN --mount: cache directories that persist between builds (keyed by id,
// the target by default), tmpfs, read-only binds of the context or of
// another stage's files, and secrets the client sent with the build — as the
// engine's bind and tmpfs mounts of the step's container, so none of them
// ends up in the step's layer.
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join, posix } from "node:path";
import { InvalidParameterError } from "../../errors.ts";
import { scopedPath } from "../fs/scoped-path.ts";

export interface RunMount {
  type: "cache" | "bind" | "tmpfs" | "secret" | "ssh";
  target: string;
  source?: string;
  from?: string;
  id?: string;
  readonly: boolean;
  /** A secret: whether the build fails without it (else the step runs without the file). */
  required?: boolean;
  /** A secret's file mode and owner inside the step (BuildKit's defaults: 0400, 0:0). */
  mode?: number;
  uid?: number;
  gid?: number;
}

export function parseRunMount(spec: string): RunMount {
  const fields: Record<string, string> = {};
  for (const part of spec.split(",")) {
    const i = part.indexOf("=");
    const k = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
    fields[k] = i < 0 ? "true" : part.slice(i + 1);
  }
  const type = (fields.type ?? "bind") as RunMount["type"];
  if (!["cache", "bind", "tmpfs", "secret", "ssh"].includes(type)) throw new InvalidParameterError(`unsupported mount type "${type}"`);
  const target = fields.target ?? fields.dst ?? fields.destination;
  if (type === "ssh") {
    throw new InvalidParameterError("RUN --mount=type=ssh needs BuildKit's session protocol, which the classic builder API does not carry");
  }
  if (type === "secret") return secretMount(fields, target);
  if (!target) throw new InvalidParameterError(`mount type ${type} requires a target`);
  const ro = fields.readonly ?? fields.ro;
  return {
    type, target,
    ...(fields.source ?? fields.src ? { source: fields.source ?? fields.src } : {}),
    ...(fields.from ? { from: fields.from } : {}),
    ...(fields.id ? { id: fields.id } : {}),
    readonly: type === "bind" ? fields.rw !== "true" && fields.readwrite !== "true" : ro === "true",
  };
}

/** `type=secret`: the id names the secret (default: the target's base name); the target defaults to /run/secrets/<id>. */
function secretMount(fields: Record<string, string>, target: string | undefined): RunMount {
  const id = fields.id || (target ? posix.basename(target) : "");
  if (!id) throw new InvalidParameterError("secret mount requires an id or a target");
  const num = (k: string, radix: number, fallback: number) => {
    if (fields[k] === undefined) return fallback;
    const v = Number.parseInt(fields[k]!, radix);
    if (!Number.isInteger(v) || v < 0) throw new InvalidParameterError(`invalid ${k} for secret mount: ${JSON.stringify(fields[k])}`);
    return v;
  };
  return {
    type: "secret", id, target: target ?? `/run/secrets/${id}`, readonly: true, required: fields.required === "true",
    mode: num("mode", 8, 0o400), uid: num("uid", 10, 0), gid: num("gid", 10, 0),
  };
}

/**
 * A secret for one step: a copy with the mount's mode and owner, bound read-only
 * over its target. Undefined when the build was given no such secret and the
 * mount does not require it (the step then runs without the file).
 */
export function secretEngineMount(m: RunMount, workdir: string, secretsDir: string | undefined, stepDir: string): Record<string, unknown> | undefined {
  const source = secretsDir ? join(secretsDir, m.id!) : undefined;
  if (!source || !existsSync(source)) {
    if (m.required) throw new InvalidParameterError(`secret ${m.id}: not found`);
    return undefined;
  }
  const copy = join(stepDir, `secret-${m.id}`);
  copyFileSync(source, copy);
  chmodSync(copy, m.mode!);
  chownSync(copy, m.uid!, m.gid!);
  return { Type: "bind", Source: copy, Target: posix.resolve(workdir || "/", m.target), ReadOnly: true };
}

/** The engine mount (HostConfig.Mounts) for one RUN --mount; `sourceRoot` is the context or the `from` stage's files. */
export function engineMount(m: RunMount, workdir: string, sourceRoot: string, cacheRoot: string): Record<string, unknown> {
  const target = posix.resolve(workdir || "/", m.target);
  if (m.type === "tmpfs") return { Type: "tmpfs", Target: target };
  if (m.type === "cache") {
    const dir = join(cacheRoot, new Bun.CryptoHasher("sha256").update(m.id ?? target).digest("hex").slice(0, 32));
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    return { Type: "bind", Source: dir, Target: target, ReadOnly: m.readonly };
  }
  return { Type: "bind", Source: scopedPath(sourceRoot, m.source ?? "/"), Target: target, ReadOnly: true };
}
