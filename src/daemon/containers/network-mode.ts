// `--network container:<name|id>`: the container joins another's network
// namespace, and shares its hostname, /etc/hosts and /etc/resolv.conf, as in
// Docker. The other container is found by name or ID at create (and stored by
// ID, so a rename does not part them) and must be running at start.
import { ConflictError, InvalidParameterError } from "../../errors.ts";
import type { ContainerRecord } from "./records.ts";
import type { ContainerPaths } from "./views.ts";

const prefix = "container:";

/** The other container's reference in a `container:` network mode, or undefined for other modes. */
export function joinedContainerRef(networkMode: unknown): string | undefined {
  const mode = String(networkMode ?? "");
  if (!mode.startsWith(prefix)) return undefined;
  const ref = mode.slice(prefix.length);
  if (!ref) throw new InvalidParameterError(`invalid container format container:<name|id>`);
  return ref;
}

/** At create: checks what Docker checks and fills in the joined container's ID and hostname. */
export function joinAtCreate(hostConfig: Record<string, any>, config: Record<string, any>, hostnameGiven: boolean, find: (ref: string) => ContainerRecord): void {
  const ref = joinedContainerRef(hostConfig.NetworkMode);
  if (ref === undefined) return;
  if (hostnameGiven) throw new InvalidParameterError("conflicting options: hostname and the network mode");
  const other = find(ref);
  hostConfig.NetworkMode = `${prefix}${other.id}`;
  config.Hostname = other.config.Hostname;
}

/** What a start of a joining container takes from the other one: its network namespace and /etc files. */
export interface JoinedNetwork {
  network: string;
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  /** Variables the network gives the program (legacy links'), which its own Env overrides. */
  env?: string[];
}

export function joinAtStart(c: ContainerRecord, find: (ref: string) => ContainerRecord, paths: (c: ContainerRecord) => ContainerPaths): JoinedNetwork | undefined {
  const ref = joinedContainerRef(c.hostConfig.NetworkMode);
  if (ref === undefined) return undefined;
  const other = find(ref);
  if (!other.state.Running || !other.state.Pid) throw new ConflictError(`cannot join network of a non running container: ${other.id}`);
  const p = paths(other);
  return {
    network: `/proc/${other.state.Pid}/ns/net`,
    etcFiles: { hostname: p.hostnamePath, hosts: p.hostsPath, resolvConf: p.resolvConfPath },
  };
}
