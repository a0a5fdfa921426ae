// `POST /networks/create`: a request checked the way dockerd checks it and
// turned into the stored NetworkResource, subnets picked from the default
// pools when none is given.
import { ConflictError, InvalidParameterError, NotFoundError, BerthError } from "../../errors.ts";
import { contains, formatIP, formatPrefix, overlaps, parseIP, parsePrefix, type Prefix } from "../../network/ip.ts";
import { firstHost, pickSubnet } from "../../network/ipam.ts";
import type { IpamConfig, NetworkRecord } from "./records.ts";
import { rfc3339Nano } from "../../image/config.ts";

/** 403, as dockerd answers a request the network's state forbids. */
export class ForbiddenError extends BerthError {
  constructor(message: string) {
    super(message, 403);
  }
}

export const bridgeNameOption = "com.docker.network.bridge.name";
export const mtuOption = "com.docker.network.driver.mtu";

export function newId(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export interface CreateContext {
  /** Subnets of other networks and routes of the daemon's namespace. */
  taken: Prefix[];
  nameTaken(name: string): boolean;
  bridgeTaken(name: string): boolean;
}

function prefixOf(s: string, what = "CIDR address"): Prefix & { addr: bigint } {
  const p = parsePrefix(String(s));
  if (!p) throw new InvalidParameterError(`invalid ${what}: ${s}`);
  return p;
}

/** One IPAM.Config entry checked and completed (gateway defaults to the subnet's first address). */
function checkPool(c: IpamConfig, ctx: CreateContext, others: Prefix[]): IpamConfig {
  const subnet = parsePrefix(String(c.Subnet));
  // dockerd's words for a subnet it cannot read.
  if (!subnet) throw new InvalidParameterError(`Invalid subnet ${c.Subnet} : invalid CIDR address: ${c.Subnet}`);
  if (subnet.family === 4 && subnet.bits > 30) throw new InvalidParameterError(`invalid subnet ${c.Subnet}: the prefix is too long for a network of containers`);
  if ([...ctx.taken, ...others].some((t) => overlaps(t, subnet))) throw new ForbiddenError("Pool overlaps with other one on this address space");
  const out: IpamConfig = { Subnet: formatPrefix(subnet) };
  if (c.IPRange) {
    const range = prefixOf(c.IPRange);
    if (range.family !== subnet.family || range.bits < subnet.bits || !contains(subnet, range.family, range.base)) {
      throw new InvalidParameterError(`invalid ip-range ${c.IPRange}: it must be within the subnet ${out.Subnet}`);
    }
    out.IPRange = formatPrefix(range);
  }
  if (c.Gateway) {
    const gw = parseIP(String(c.Gateway));
    if (!gw) throw new InvalidParameterError(`invalid gateway address ${c.Gateway}`);
    if (!contains(subnet, gw.family, gw.value)) throw new ForbiddenError(`no matching subnet for gateway ${c.Gateway}`);
    out.Gateway = formatIP(gw.family, gw.value);
  } else {
    out.Gateway = formatIP(subnet.family, firstHost(subnet));
  }
  if (c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length) out.AuxiliaryAddresses = c.AuxiliaryAddresses;
  return out;
}

export function buildNetwork(body: Record<string, any>, ctx: CreateContext, id = newId()): NetworkRecord {
  if (!body || typeof body !== "object") throw new InvalidParameterError("invalid JSON body");
  const name = String(body.Name ?? "");
  if (!name) throw new InvalidParameterError("network name must not be empty");
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new InvalidParameterError(`invalid network name "${name}": must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  if (["bridge", "host", "none", "default"].includes(name) || ctx.nameTaken(name)) {
    if (ctx.nameTaken(name)) throw new ConflictError(`network with name ${name} already exists`);
    throw new ForbiddenError(`operation is not permitted on predefined ${name} network `);
  }
  const driver = String(body.Driver || "bridge");
  if (driver === "host" || driver === "null") throw new ForbiddenError(`only one instance of "${driver}" network is allowed`);
  if (driver !== "bridge") throw new NotFoundError(`plugin "${driver}" not found`);
  if (body.IPAM?.Driver && body.IPAM.Driver !== "default") throw new NotFoundError(`plugin "${body.IPAM.Driver}" not found`);
  const options: Record<string, string> = { ...(body.Options ?? {}) };
  if (options[mtuOption] !== undefined && !/^\d+$/.test(options[mtuOption])) throw new InvalidParameterError(`invalid MTU "${options[mtuOption]}"`);
  const bridge = options[bridgeNameOption] || `br-${id.slice(0, 12)}`;
  if (bridge.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(bridge)) throw new InvalidParameterError(`invalid bridge name ${bridge}`);
  if (ctx.bridgeTaken(bridge)) throw new ForbiddenError(`bridge name ${bridge} is in use by another network or the host`);

  const requested: IpamConfig[] = body.IPAM?.Config ?? [];
  const pools: IpamConfig[] = [];
  for (const c of requested) {
    if (!c.Subnet) {
      if (c.IPRange || c.Gateway) throw new InvalidParameterError("ip-range and gateway need a subnet");
      continue;
    }
    pools.push(checkPool(c, ctx, pools.map((p) => parsePrefix(p.Subnet)!)));
  }
  const enableIPv6 = !!body.EnableIPv6;
  if (!pools.some((p) => parsePrefix(p.Subnet)!.family === 4)) {
    const subnet = pickSubnet([...ctx.taken, ...pools.map((p) => parsePrefix(p.Subnet)!)]);
    if (!subnet) throw new ForbiddenError("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
    pools.unshift({ Subnet: formatPrefix(subnet), Gateway: formatIP(4, firstHost(subnet)) });
  }
  if (enableIPv6 && !pools.some((p) => parsePrefix(p.Subnet)!.family === 6)) {
    throw new InvalidParameterError("enable_ipv6 needs an IPv6 subnet (--subnet) on this daemon: it has no default IPv6 pool");
  }
  if (!enableIPv6 && pools.some((p) => parsePrefix(p.Subnet)!.family === 6)) {
    throw new InvalidParameterError("an IPv6 subnet needs --ipv6 (EnableIPv6)");
  }
  return {
    Name: name, Id: id, Created: rfc3339Nano(), Scope: "local", Driver: "bridge", EnableIPv6: enableIPv6,
    IPAM: { Driver: "default", Options: body.IPAM?.Options ?? {}, Config: pools },
    Internal: !!body.Internal, Attachable: !!body.Attachable, Ingress: false, ConfigFrom: { Network: "" }, ConfigOnly: false,
    Options: options, Labels: body.Labels ?? {},
  };
}

/** The bridge interface's name. */
export function bridgeOf(n: NetworkRecord): string {
  return n.Options[bridgeNameOption] ?? `br-${n.Id.slice(0, 12)}`;
}
