// HostConfig.UsernsMode under the daemon's --userns-remap: every container
// gets a user namespace with the daemon's mapping unless it asks for the
// host's (--userns=host), and what cannot work inside one is refused in
// dockerd's words.
import { lchownSync, lstatSync } from "node:fs";
import { InvalidParameterError } from "../../errors.ts";
import { hostOwnerIn, remappedRoot, shareWithRemappedRoot, type Runtime, type RuntimeSpec } from "../../runtime/index.ts";
import type { SnapshotStore } from "../../store/snapshots.ts";
import { shiftedLayerCopy } from "./flatten.ts";

type Json = Record<string, any>;

/** At create and at start: `remapped` says whether the daemon runs with --userns-remap. */
export function checkUsernsMode(hc: Json, remapped: boolean): void {
  const mode = hc.UsernsMode ?? "";
  if (mode !== "" && mode !== "host") throw new InvalidParameterError(`invalid USER mode: ${JSON.stringify(mode)} (want "host" or empty)`);
  if (!remapped || mode === "host") return;
  if (hc.Privileged) {
    throw new InvalidParameterError("privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode");
  }
  if (hc.NetworkMode === "host") throw new InvalidParameterError("cannot share the host's network namespace when user namespaces are enabled");
  if (hc.PidMode === "host") throw new InvalidParameterError("cannot share the host PID namespace when user namespaces are enabled");
  // Its user namespace would not own the other container's PID namespace.
  if (String(hc.PidMode ?? "").startsWith("container:")) throw new InvalidParameterError("cannot share another container's PID namespace when user namespaces are enabled");
  if (hc.IpcMode === "host") throw new InvalidParameterError("cannot share the host's IPC namespace when user namespaces are enabled");
  // As for PID: its user namespace would not own the other container's IPC namespace.
  if (String(hc.IpcMode ?? "").startsWith("container:")) throw new InvalidParameterError("cannot share another container's IPC namespace when user namespaces are enabled");
  if (hc.UTSMode === "host") throw new InvalidParameterError("cannot share the host's UTS namespace when user namespaces are enabled");
}

/** The daemon's mapping when the container runs under it (it did not ask for --userns=host). */
export function containerUserns(runtime: Runtime, hc: Json): Runtime["userns"] {
  return hc.UsernsMode === "host" ? undefined : runtime.userns;
}

/**
 * Where overlayfs refuses idmapped layers (runtime.userns.chownedLayers), the name of the copies of
 * each layer, chowned into the mapping, that a remapped container's root is made of; otherwise none.
 */
export function layerCopyName(runtime: Runtime, hc: Json): string | undefined {
  const ns = containerUserns(runtime, hc);
  // A copied root (vfs) is made chowned whole instead (copiedRootOwner).
  if (!ns?.chownedLayers || runtime.storageDriver === "vfs") return undefined;
  const { uid, gid } = remappedRoot(ns);
  return `remapped-${uid}.${gid}`;
}

/** How a copied root (vfs) is made: with its owners shifted into the mapping where idmapped mounts are refused, else as the image has them. */
export function copiedRootOwner(runtime: Runtime, hc: Json): ((uid: number, gid: number) => { uid: number; gid: number }) | undefined {
  const ns = containerUserns(runtime, hc);
  return ns?.chownedLayers ? hostOwnerIn(ns) : undefined;
}

/**
 * The mapping whose host ids a remapped container's files carry on disk, which cp and export
 * translate: none for a copied root (vfs) that is seen through an idmapped mount, as it keeps the
 * image's own ids.
 */
export function ownersOnDisk(runtime: Runtime, hc: Json): Runtime["userns"] {
  const ns = containerUserns(runtime, hc);
  return runtime.storageDriver === "vfs" && !ns?.chownedLayers ? undefined : ns;
}

/** Makes the chowned copies of `chainIds` that the container needs (see layerCopyName), once per layer and mapping. */
export function makeLayerCopies(runtime: Runtime, hc: Json, snapshots: SnapshotStore, chainIds: string[]): void {
  const name = layerCopyName(runtime, hc);
  if (!name) return;
  const shift = hostOwnerIn(runtime.userns!);
  for (const id of chainIds) shiftedLayerCopy(snapshots.diffPath(id), snapshots.copyPath(id, name), shift);
}

/**
 * Gives the spec the daemon's mapping (unless --userns=host), the container's directory to the
 * remapped root, and so the named volumes it mounts that are still root's: dockerd makes a
 * volume's _data the remapped root's, and one volume directory serves every mapping here.
 */
export function applyUserns(spec: RuntimeSpec, hc: Json, runtime: Runtime, containerDir: string, volumesDir: string): void {
  if (!runtime.userns || hc.UsernsMode === "host") return;
  checkUsernsMode(hc, true);
  spec.userns = runtime.userns;
  const root = remappedRoot(runtime.userns);
  shareWithRemappedRoot(containerDir, root.gid);
  for (const b of spec.binds) {
    if (b.type || !b.source.startsWith(`${volumesDir}/`)) continue;
    const st = lstatSync(b.source, { throwIfNoEntry: false });
    if (st?.isDirectory() && st.uid === 0 && st.gid === 0) lchownSync(b.source, root.uid, root.gid);
  }
}
