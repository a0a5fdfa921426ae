// The engine's side of a build (src/build/host.ts): images from the local
// store or a pull, and RUN steps as ordinary containers — created, started,
// followed, waited for — whose changes are taken with commit's diff code.
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import type { Daemon } from "./daemon.ts";
import type { BuildHost, RunRequest, RunResult } from "../build/host.ts";
import type { Digest } from "../store/digest.ts";
import { parseReference, withDefaultTag } from "../image/reference.ts";
import { readLogs } from "./containers/logs.ts";
import { containerDiffTar } from "./containers/operations.ts";
import { placeholders } from "./containers/inspect-fs.ts";
import { skipped } from "../shared/debug-log.ts";

export function buildHost(d: Daemon): BuildHost {
  const store = d.store;
  return {
    store,
    findImage(name) {
      try {
        return d.images.resolve(name);
      } catch {
        return undefined;
      }
    },
    async pullImage(name, platform, progress, signal) {
      progress(`Pulling ${name}`);
      const [r] = await (await d.registry()).pull(withDefaultTag(parseReference(name)), false, { platform, signal });
      return r!.id;
    },
    layerDirs(imageId) {
      return store.images.layersOf(imageId).map((l) => store.snapshots.diffPath(l.chain_id)).reverse();
    },
    async run(r: RunRequest, started, output, signal): Promise<RunResult> {
      return runStepContainer(d, r, started, output, signal);
    },
    cacheMountDir() {
      const dir = join(store.root, "build-cache-mounts");
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    },
    tmpDir() {
      const dir = join(store.root, "tmp");
      mkdirSync(dir, { recursive: true });
      return dir;
    },
  };
}

async function runStepContainer(d: Daemon, r: RunRequest, started: (id: string) => void, output: (text: string) => void, signal: AbortSignal): Promise<RunResult> {
  const e = d.containers;
  const { Id } = await e.create({
    Image: r.imageId as Digest,
    Cmd: r.argv,
    Entrypoint: [],
    Env: r.env,
    ...(r.user ? { User: r.user } : {}),
    ...(r.workdir ? { WorkingDir: r.workdir } : {}),
    HostConfig: { NetworkMode: r.network, ...(r.mounts.length ? { Mounts: r.mounts } : {}) },
  });
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    await e.remove(Id, { force: true, volumes: true });
  };
  // A client that goes away cancels the build: the step's program is killed.
  const onAbort = () => {
    // A step already stopped has nothing left to cancel.
    e.kill(Id, "SIGKILL").catch(skipped("killing a cancelled build step"));
  };
  try {
    await e.start(Id);
    started(Id);
    signal.addEventListener("abort", onAbort);
    const c = e.find(Id);
    const all = { stdout: true, stderr: true, since: 0, until: 0, tail: -1, timestamps: false, details: false, follow: true };
    for await (const rec of readLogs(e.logPath(c), all, () => e.isRunning(Id), signal)) output(rec.log);
    // The log stops following when the client goes away; the abort event of a request's signal is not always
    // delivered here (its `aborted` flag is), so the kill happens on the flag too.
    if (signal.aborted) onAbort();
    const { StatusCode } = await e.wait(Id, "not-running");
    const diff = () => {
      const c = e.find(Id);
      const p = e.paths(c);
      return containerDiffTar(e, c, r.clampMtime, r.stubs?.length ? placeholders(p.upperDir, p.lowerDirs, r.stubs) : undefined);
    };
    return { exitCode: StatusCode, diff, remove };
  } catch (err) {
    await remove().catch(skipped("removing a build step's container after a failure"));
    throw err;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
