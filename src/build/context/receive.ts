// The build context as the client sends it: a tar (plain, gzip, zstd, xz, bzip2)
// streamed to disk (never held in memory) and indexed as it arrives, unpacked only when a
// step copies from it; or a lone Dockerfile (`docker build - < Dockerfile`).
// Paths in the tar cannot leave the context dir (the layer applier's rule);
// .dockerignore'd paths are left out of the index and removed from the
// unpacked files, so COPY cannot see them, whatever the client sent.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidParameterError } from "../../errors.ts";
import { archiveBytes, archiveKindOf } from "../fs/archive-kind.ts";
import { scopedRel } from "../fs/scoped-path.ts";
import { dirTree, resolveIn, type SourceTree } from "../fs/source-tree.ts";
import { ContextTree } from "./context-tree.ts";
import { IgnoreMatcher } from "./dockerignore.ts";
import { secretsEntry } from "./secrets-entry.ts";
import { Spool } from "./spool.ts";

export interface ReceivedContext {
  /** The context's files: indexed at once, unpacked into a directory only when a step copies from it. */
  tree: SourceTree;
  dockerfileText: string;
  /** Where the secrets went (one file per id), outside the context so COPY cannot see them. */
  secretsDir?: string;
}

export async function receiveContext(body: ReadableStream<Uint8Array> | null, workDir: string, dockerfile: string, secretIds: string[] = []): Promise<ReceivedContext> {
  const spool = new Spool(join(workDir, "context.upload"), body);
  try {
    return await receive(spool, join(workDir, "context"), workDir, dockerfile, secretIds);
  } catch (e) {
    await spool.abandon();
    throw e;
  }
}

async function receive(spool: Spool, dir: string, workDir: string, dockerfile: string, secretIds: string[]): Promise<ReceivedContext> {
  const kind = archiveKindOf(await spool.head(512));
  if (!kind) {
    // A Dockerfile alone: the context is empty.
    await spool.finish();
    if (secretIds.length) throw new InvalidParameterError("secrets came without a context to carry them");
    mkdirSync(dir, { recursive: true });
    return { tree: dirTree(dir), dockerfileText: spool.size ? readFileSync(spool.path, "utf8") : "" };
  }
  const dockerfilePath = scopedRel(dockerfile, () => undefined);
  const wanted = (path: string) => path === dockerfilePath || path === ".dockerignore" || path.startsWith(`${secretsEntry}/`);
  // A tar, gzip or zstd upload is indexed as it arrives; xz and bzip2 go through their tool, which reads the spooled file.
  const streamed = kind !== "xz" && kind !== "bzip2";
  if (!streamed) await spool.finish();
  const reread = () => archiveBytes(spool.path, kind);
  const { tree, captured } = await ContextTree.index(streamed ? spool.chunks() : reread(), reread, dir, settle, wanted);
  // What follows the tar's end (its padding) is spooled too: the unpack reads the whole upload.
  await spool.finish();
  const secretsDir = secretIds.length ? takeSecrets(tree, captured, workDir, secretIds) : undefined;
  tree.remove(secretsEntry);
  const path = resolveIn(tree, dockerfile);
  if (tree.lstat(path)?.kind !== "file") throw new InvalidParameterError(`Cannot locate specified Dockerfile: ${dockerfile}`);
  // Reached through a symlink, it was not captured: read it from the unpacked context.
  const dockerfileText = captured.has(path) ? new TextDecoder().decode(captured.get(path)) : readFileSync(join(await tree.directory(), path), "utf8");
  const ignore = captured.get(".dockerignore");
  const m = ignore && IgnoreMatcher.parse(new TextDecoder().decode(ignore));
  if (m && !m.empty) {
    // Deepest first: a directory that still holds a re-included path stays.
    for (const p of tree.paths()) if (m.ignores(p) && !tree.readdir(p).length) tree.remove(p);
  }
  return { tree, dockerfileText, secretsDir };
}

/** What the unpacked context must lose to match its index: the secrets, and what .dockerignore excludes. */
function settle(dir: string): void {
  rmSync(join(dir, secretsEntry), { recursive: true, force: true });
  applyDockerignore(dir);
}

/** Writes the sent secrets out of the context, each a regular file named by its id. */
function takeSecrets(tree: ContextTree, captured: Map<string, Uint8Array>, workDir: string, ids: string[]): string {
  if (tree.lstat(secretsEntry)?.kind !== "dir") throw new InvalidParameterError("the secrets named by the request are not in its context");
  const to = join(workDir, "secrets");
  mkdirSync(to, { mode: 0o700 });
  for (const id of ids) {
    const path = `${secretsEntry}/${id}`;
    if (!/^[A-Za-z0-9_.-]+$/.test(id) || tree.lstat(path)?.kind !== "file" || !captured.has(path)) throw new InvalidParameterError(`secret ${JSON.stringify(id)} is not in the request's context`);
    writeFileSync(join(to, id), captured.get(path)!, { mode: 0o600 });
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
