// Names a container's /etc/hosts and DNS learn from its create request:
// --add-host entries (with host-gateway, the host's address on the bridge)
// and legacy --link NAME[:ALIAS].
import { InvalidParameterError, NotFoundError } from "../../errors.ts";
import type { ContainerRecord } from "../containers/records.ts";

export const hostGatewayName = "host-gateway";

/** --add-host's "name:ip" entries with host-gateway made `gateway` (an entry for it goes when there is none). */
export function resolveExtraHosts(list: string[] | undefined, gateway: string | undefined): string[] {
  return (list ?? []).flatMap((h) => {
    const e = hostsEntry(h);
    if (e?.ip !== hostGatewayName) return [h];
    return gateway ? [`${e.names}:${gateway}`] : [];
  });
}

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

/**
 * The variables a legacy link on the default bridge gives the linking container, as dockerd
 * writes them for the link `/parent/alias` to a container at `ip`: ALIAS_PORT (the first
 * port), ALIAS_PORT_<n>_<PROTO>[_ADDR|_PORT|_PROTO] for each exposed port (TCP first, then by
 * number), _START/_END over runs of consecutive ports, ALIAS_NAME, and ALIAS_ENV_<X> for the
 * linked container's variables but HOME and PATH.
 */
export function linkEnv(linkName: string, ip: string, exposedPorts: string[], env: string[]): string[] {
  const alias = linkName.split("/").pop()!.toUpperCase().replaceAll("-", "_");
  const ports = exposedPorts
    .map((k) => {
      const [n, proto = "tcp"] = k.split("/");
      return { num: Number(n), proto: proto.toLowerCase() };
    })
    .filter((p) => Number.isInteger(p.num) && p.num > 0)
    .sort((a, b) => (a.proto === b.proto ? a.num - b.num : a.proto === "tcp" ? -1 : b.proto === "tcp" ? 1 : a.proto < b.proto ? -1 : 1));
  const out: string[] = [];
  const url = (p: { num: number; proto: string }) => `${p.proto}://${ip}:${p.num}`;
  const prefix = (p: { num: number; proto: string }) => `${alias}_PORT_${p.num}_${p.proto.toUpperCase()}`;
  if (ports[0]) out.push(`${alias}_PORT=${url(ports[0])}`);
  let first = ports[0]!;
  let end = ports[0]!;
  for (const [i, p] of ports.entries()) {
    out.push(`${prefix(p)}=${url(p)}`, `${prefix(p)}_ADDR=${ip}`, `${prefix(p)}_PORT=${p.num}`, `${prefix(p)}_PROTO=${p.proto}`);
    if (i === 0) continue;
    const extends_ = p.num === end.num + 1 && p.proto === first.proto;
    if (extends_) end = p;
    if (extends_ && i < ports.length - 1) continue;
    if (end !== first) {
      out.push(`${prefix(first)}_START=${url(first)}`, `${prefix(first)}_PORT_START=${first.num}`, `${prefix(first)}_END=${url(end)}`, `${prefix(first)}_PORT_END=${end.num}`);
    }
    first = end = p;
  }
  out.push(`${alias}_NAME=${linkName}`);
  for (const v of env) {
    const i = v.indexOf("=");
    if (i < 0) continue;
    const name = v.slice(0, i);
    if (name !== "HOME" && name !== "PATH") out.push(`${alias}_ENV_${name}=${v.slice(i + 1)}`);
  }
  return out;
}
