// The build context as the client sends it: a tar (plain, gzip or zstd)
// streamed to disk and unpacked (never held in memory), or a lone Dockerfile
// (`docker build - < Dockerfile`). Paths in the tar cannot leave the context
// dir (the layer applier's rule); .dockerignore'd paths are removed so COPY
// cannot see them, whatever the client sent.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { InvalidParameterError } from "../../errors.ts";
import { applyLayer } from "../../layer/apply.ts";
import { scopedPath } from "../fs/scoped-path.ts";
import { archiveKind } from "../fs/archive-kind.ts";
import { IgnoreMatcher } from "./dockerignore.ts";
import { secretsEntry } from "./secrets-entry.ts";

export interface ReceivedContext {
  dir: string;
  dockerfileText: string;
  /** Where the secrets went (one file per id), outside the context so COPY cannot see them. */
  secretsDir?: string;
}


export async function receiveContext(body: ReadableStream<Uint8Array> | null, workDir: string, dockerfile: string, secretIds: string[] = []): Promise<ReceivedContext> {
  const dir = join(workDir, "context");
  mkdirSync(dir, { recursive: true });
  const spool = join(workDir, "context.upload");
  const sink = Bun.file(spool).writer();
  let size = 0;
  if (body) {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      sink.write(chunk);
      size += chunk.length;
      if (size % (8 << 20) < chunk.length) await sink.flush();
    }
  }
  await sink.end();
  if (size === 0 || !archiveKind(spool)) {
    // A Dockerfile alone: the context is empty.
    if (secretIds.length) throw new InvalidParameterError("secrets came without a context to carry them");
    return { dir, dockerfileText: size ? readFileSync(spool, "utf8") : "" };
  }
  await applyLayer(Bun.file(spool).stream(), dir, { whiteoutMode: "delete", devices: "skip" });
  rmSync(spool, { force: true });
  const secretsDir = secretIds.length ? takeSecrets(dir, workDir, secretIds) : undefined;
  const path = scopedPath(dir, dockerfile);
  if (!existsSync(path) || !lstatSync(path).isFile()) throw new InvalidParameterError(`Cannot locate specified Dockerfile: ${dockerfile}`);
  const dockerfileText = readFileSync(path, "utf8");
  applyDockerignore(dir);
  return { dir, dockerfileText, secretsDir };
}

/** Moves the sent secrets out of the context, each a regular file named by its id. */
function takeSecrets(dir: string, workDir: string, ids: string[]): string {
  const from = join(dir, secretsEntry);
  const to = join(workDir, "secrets");
  if (!existsSync(from) || !lstatSync(from).isDirectory()) throw new InvalidParameterError("the secrets named by the request are not in its context");
  renameSync(from, to);
  for (const id of ids) {
    const f = join(to, id);
    if (!/^[A-Za-z0-9_.-]+$/.test(id) || !existsSync(f) || !lstatSync(f).isFile()) throw new InvalidParameterError(`secret ${JSON.stringify(id)} is not in the request's context`);
  }
  return to;
}

/** Removes what .dockerignore excludes; the Dockerfile and .dockerignore are themselves excluded from COPY when listed. */
function applyDockerignore(dir: string): void {
  const file = join(dir, ".dockerignore");
  if (!existsSync(file)) return;
  const m = IgnoreMatcher.parse(readFileSync(file, "utf8"));
  if (m.empty) return;
  const walk = (rel: string) => {
    for (const name of readdirSync(rel ? join(dir, rel) : dir)) {
      const path = rel ? `${rel}/${name}` : name;
      const abs = join(dir, path);
      const isDir = lstatSync(abs).isDirectory();
      if (m.ignores(path)) {
        // A directory may still hold a re-included path: then only its other entries go.
        if (isDir && m.mayReinclude()) {
          walk(path);
          if (!readdirSync(abs).length) rmSync(abs, { recursive: true, force: true });
        } else rmSync(abs, { recursive: true, force: true });
      } else if (isDir) walk(path);
    }
  };
  walk("");
}
