// Names a container's /etc/hosts and DNS learn from its create request:
// --add-host entries (with host-gateway, the host's address on the bridge)
// and legacy --link NAME[:ALIAS].
import { InvalidParameterError, NotFoundError } from "../../errors.ts";
import type { ContainerRecord } from "../containers/records.ts";

export const hostGatewayName = "host-gateway";

/** "name:ip" (the address may be IPv6, so the first colon splits). */
export function hostsEntry(h: string): { names: string; ip: string } | undefined {
  const i = h.indexOf(":");
  return i > 0 ? { names: h.slice(0, i), ip: h.slice(i + 1) } : undefined;
}

/** "name" or "name:alias", with the leading slashes dockerd's inspect shows taken off. */
export function splitLink(link: string): { name: string; alias: string } {
  const [name = "", alias] = link.split(":").map((x) => x.replace(/^\/+/, ""));
  return { name, alias: alias ? alias.split("/").pop()! : name };
}

/** HostConfig.Links checked at create: their containers exist, and the network mode has links. */
export function checkLinks(links: string[] | null | undefined, mode: string, find: (ref: string) => ContainerRecord): string[] {
  if (!links?.length) return [];
  if (mode === "host") throw new InvalidParameterError("conflicting options: host type networking can't be used with links. This would result in undefined behavior");
  if (mode.startsWith("container:")) throw new InvalidParameterError("conflicting options: container type network can't be used with links. This would result in undefined behavior");
  for (const link of links) {
    const { name } = splitLink(link);
    try {
      find(name);
    } catch (e) {
      if (e instanceof NotFoundError) throw new InvalidParameterError(`could not get container for ${name}`);
      throw e;
    }
  }
  return links;
}
