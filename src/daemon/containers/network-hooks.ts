// What the container engine asks of the networks (src/daemon/networks), which
// the daemon plugs in: the engine itself never touches links or addresses.
import type { ContainerRecord } from "./records.ts";
import type { ContainerPaths } from "./views.ts";
import type { JoinedNetwork } from "./network-mode.ts";

export interface CreatePlan {
  /** Records the container's networks once its record exists. */
  attach(containerId: string): void;
  warnings: string[];
}

export interface ContainerNetworking {
  /** At create, before anything is made: resolves and checks the network mode and endpoint settings (may rewrite hostConfig.NetworkMode). */
  planCreate(hostConfig: Record<string, any>, config: Record<string, any>, networkingConfig: Record<string, any> | undefined): CreatePlan;
  /** Before the program starts: the namespace it joins and its /etc files, or undefined (none, host). */
  atStart(c: ContainerRecord, p: ContainerPaths): Promise<JoinedNetwork | undefined>;
  /** Variables its networks give a running container's programs (legacy links'), exec's among them. */
  linkEnv(c: ContainerRecord): string[];
  /** The program has ended (or failed to start): what atStart made goes. */
  atStop(c: ContainerRecord): void;
  /** NetworkSettings for inspect. */
  settings(c: ContainerRecord): Record<string, unknown>;
  /** NetworkSettings and Ports for the container list. */
  summary(c: ContainerRecord): { Ports: unknown[]; NetworkSettings: Record<string, unknown> };
  /** The address --add-host's host-gateway names, if there is one. */
  hostGateway(): string | undefined;
}

/** Without networks plugged in: a default network mode means the container's own empty namespace. */
export function defaultModeWithoutNetworks(hostConfig: Record<string, any>): void {
  const mode = String(hostConfig.NetworkMode || "default");
  if (mode === "default" || mode === "bridge") hostConfig.NetworkMode = "none";
}
