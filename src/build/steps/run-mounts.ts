// RUN --mount: cache directories that persist between builds (keyed by id,
// the target by default), tmpfs, and read-only binds of the context or of
// another stage's files — as the engine's bind and tmpfs mounts of the step's
// container, so none of them ends up in the step's layer.
import { mkdirSync } from "node:fs";
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
  if (type === "secret" || type === "ssh") {
    throw new InvalidParameterError(`RUN --mount=type=${type} needs BuildKit's session protocol, which the classic builder API does not carry`);
  }
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
