// Container operations beyond the lifecycle: pause/unpause (freezer), top,
// diff, commit and update. They work on the engine's records and paths.
import { availableParallelism } from "node:os";
import { ConflictError, SystemError } from "../../errors.ts";
import type { ContainerEngine } from "./engine.ts";
import { containerChanges, topOf, withoutMountPoints, type Change, type TopResult } from "./inspect-fs.ts";
import { applyChanges } from "../../image/changes.ts";
import { commitImage } from "../../image/commit.ts";
import type { Digest } from "../../store/digest.ts";
import { directoryEntries } from "../../layer/diff.ts";
import { tarStream } from "../../layer/tar/write.ts";
import { normalizeHostConfig } from "./config.ts";
import { buildSpec } from "./spec.ts";
import { hasProcess, type ContainerRecord } from "./records.ts";
import { restartingError } from "./restart-policy.ts";
import { topWithPs } from "./top-ps.ts";
import { blockIOWarnings } from "./block-io.ts";
import { clampMtimes } from "../../build/reproducible.ts";
import { withOwners } from "../../layer/tar/owners.ts";
import { containerOwnerIn } from "../../runtime/index.ts";
import { containerUserns } from "./userns.ts";

/** With copied root filesystems (vfs) the upper dir is not a diff: say so rather than answer wrong. */
function requireOverlay(e: ContainerEngine, what: string): void {
  if (e.runtime.storageDriver === "vfs") throw new SystemError(`${what} needs overlayfs, which this host lacks (storage driver vfs)`);
}

export function pauseContainer(e: ContainerEngine, ref: string): void {
  const c = e.find(ref);
  if (c.state.Restarting) throw restartingError(c.id);
  if (!c.state.Running) throw new ConflictError(`Container ${c.id} is not running`);
  if (c.state.Paused) throw new ConflictError(`Container ${c.id} is already paused`);
  e.runtime.pause(e.dirOf(c));
  e.records.saveState(c.id, { ...c.state, Paused: true, Status: "paused" });
  e.health?.stop(c.id);
  e.events.emit("container", "pause", c.id, e.eventAttrs(c));
}

export function unpauseContainer(e: ContainerEngine, ref: string): void {
  const c = e.find(ref);
  if (!c.state.Paused) throw new ConflictError(`Container ${c.id} is not paused`);
  e.runtime.unpause(e.dirOf(c));
  e.records.saveState(c.id, { ...c.state, Paused: false, Status: "running" });
  e.health?.start(c, { resume: true });
  e.events.emit("container", "unpause", c.id, e.eventAttrs(c));
}

/**
 * `POST /commit`: the container's changes as a new layer on its image. A
 * running container is frozen meanwhile (Docker's `pause=true`).
 */
export async function commitContainer(e: ContainerEngine, ref: string, o: { repo?: string; tag?: string; comment?: string; author?: string; changes?: string[]; pause?: boolean; config?: Record<string, any> }): Promise<string> {
  const c = e.find(ref);
  requireOverlay(e, "commit");
  const config = applyChanges({ ...c.config, ...(o.config ?? {}) }, o.changes ?? []);
  delete (config as { Hostname?: unknown }).Hostname;
  const freeze = hasProcess(c.state) && !c.state.Paused && o.pause !== false;
  if (freeze) e.runtime.pause(e.dirOf(c));
  try {
    const diff = containerDiffTar(e, c);
    const id = await commitImage(e.store, c.imageId as Digest, diff, {
      repo: o.repo, tag: o.tag, comment: o.comment, author: o.author, containerId: c.id, config,
      createdBy: [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])].join(" "),
    });
    e.events.emit("container", "commit", c.id, { ...e.eventAttrs(c), comment: o.comment ?? "" });
    return id;
  } finally {
    if (freeze) e.runtime.unpause(e.dirOf(c));
  }
}

/**
 * A container's changes as an OCI layer tar: its overlay upper dir with the
 * runtime's mount points left out. Commit and build steps both take layers
 * here; `clampMtime` (SOURCE_DATE_EPOCH) caps every entry's mtime. A remapped container's files
 * go in with its own owners, not their host ids: the image is the same whatever the mapping.
 */
export function containerDiffTar(e: ContainerEngine, c: ContainerRecord, clampMtime?: number, leaveOut?: Set<string>): ReadableStream<Uint8Array> {
  requireOverlay(e, "a layer from a container");
  const userns = containerUserns(e.runtime, c.hostConfig);
  const entries = withoutMountPoints(directoryEntries(e.paths(c).upperDir, { overlayUpper: true }), leaveOut);
  return tarStream(clampMtimes(withOwners(entries, userns && containerOwnerIn(userns)), clampMtime));
}

/** `docker update`: new resource limits (and restart policy), applied at once to a running container. */
export function updateContainer(e: ContainerEngine, ref: string, body: Record<string, any>): { Warnings: string[] } {
  const c = e.find(ref);
  const keys = ["Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares", "CpuQuota", "CpuPeriod", "CpusetCpus", "PidsLimit", "RestartPolicy", "BlkioWeight"];
  const changed = Object.fromEntries(keys.filter((k) => body?.[k] !== undefined && body[k] !== null).map((k) => [k, body[k]]));
  if (changed.PidsLimit === 0) delete changed.PidsLimit;
  const hostConfig = normalizeHostConfig({ ...c.hostConfig, ...changed }, availableParallelism());
  const warnings = changed.BlkioWeight !== undefined ? blockIOWarnings(hostConfig) : [];
  if (hasProcess(c.state)) e.runtime.updateResources(e.dirOf(c), buildSpec({ ...c, hostConfig }, e.paths(c)).resources);
  e.store.db.query("UPDATE containers SET host_config = ? WHERE id = ?").run(JSON.stringify(hostConfig), c.id);
  e.events.emit("container", "update", c.id, e.eventAttrs(c));
  return { Warnings: warnings };
}

/** `docker top`: ps -ef's columns from /proc, or with `psArgs` the host's ps itself, as dockerd runs it. */
export async function containerTop(e: ContainerEngine, ref: string, psArgs = ""): Promise<TopResult> {
  const c = e.find(ref);
  if (c.state.Restarting) throw restartingError(c.id);
  if (!c.state.Running) throw new ConflictError(`Container ${c.id} is not running`);
  const pids = e.runtime.pids(e.dirOf(c));
  return psArgs.trim() && psArgs.trim() !== "-ef" ? topWithPs(pids, psArgs) : topOf(pids);
}

export function containerDiff(e: ContainerEngine, ref: string): Change[] {
  const c = e.find(ref);
  requireOverlay(e, "diff");
  const p = e.paths(c);
  return containerChanges(p.upperDir, p.lowerDirs);
}
