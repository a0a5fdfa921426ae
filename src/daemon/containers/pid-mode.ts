// HostConfig.PidMode: a PID namespace of the container's own (""), the host's
// ("host"), or another running container's ("container:<name|id>"), as in
// Docker. The other container is found at create and stored by ID (a rename
// does not part them); it must be running at start, and its PID namespace is
// joined through its first process. Under a user namespace only the first.
import { ConflictError, InvalidParameterError } from "../../errors.ts";
import type { ContainerRecord } from "./records.ts";

const prefix = "container:";

/** At create: dockerd's check of the mode, and the other container stored by ID. */
export function checkPidMode(hc: Record<string, any>, find: (ref: string) => ContainerRecord): void {
  const mode = String(hc.PidMode ?? "");
  if (mode === "" || mode === "host") return;
  if (!mode.startsWith(prefix) || mode === prefix) throw new InvalidParameterError(`invalid PID mode: ${mode}`);
  hc.PidMode = `${prefix}${find(mode.slice(prefix.length)).id}`;
}

/** At start: what the runtime joins (RuntimeSpec.pidNamespace), or undefined for a namespace of its own. */
export function pidNamespaceAtStart(c: ContainerRecord, find: (ref: string) => ContainerRecord): string | undefined {
  const mode = String(c.hostConfig.PidMode ?? "");
  if (mode === "host") return "host";
  if (!mode.startsWith(prefix)) return undefined;
  const other = find(mode.slice(prefix.length));
  if (!other.state.Running || !other.state.Pid) throw new ConflictError(`cannot join PID of a non running container: ${other.id}`);
  return `/proc/${other.state.Pid}/ns/pid`;
}
