// Links, addresses and routes through rtnetlink: what a bridge network needs
// (a bridge, veth pairs, moving a link into a container's namespace, addresses,
// routes, link state, MTU). Each call is one request on one socket; `batch`
// sends several in one datagram, which the kernel handles in order.
import { NetlinkSocket } from "./socket.ts";
import { attr, cstring, header, HEADER_SIZE, nested, NLM_F, parseAttrs, RTM, str, u32, type Message } from "./message.ts";
import { ipBytes, ipFromBytes, type Family } from "../ip.ts";

const AF = { UNSPEC: 0, INET: 2, INET6: 10 } as const;
const IFLA = { ADDRESS: 1, IFNAME: 3, MTU: 4, LINK: 5, MASTER: 10, LINKINFO: 18, NET_NS_FD: 28 } as const;
const IFLA_INFO = { KIND: 1, DATA: 2 } as const;
const VETH_INFO_PEER = 1;
const IFA = { ADDRESS: 1, LOCAL: 2 } as const;
const RTA = { DST: 1, OIF: 4, GATEWAY: 5 } as const;
const IFF_UP = 1;
const RT_TABLE_MAIN = 254;

export interface Link {
  index: number;
  name: string;
  up: boolean;
  mtu: number;
  mac?: string;
  /** The bridge this link is a port of. */
  master?: number;
  kind?: string;
}

export interface Address {
  index: number;
  family: Family;
  value: bigint;
  bits: number;
}

export interface Route {
  family: Family;
  /** Destination prefix; bits 0 is a default route. */
  dst: bigint;
  bits: number;
  gateway?: bigint;
  oif?: number;
  table: number;
}

const familyCode = (f: Family) => (f === 4 ? AF.INET : AF.INET6);

function ifinfomsg(index = 0, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(AF.UNSPEC, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

/** IFA_F_NODAD: an IPv6 address usable at once, without duplicate address detection's second or two (as dockerd adds them). */
const IFA_F_NODAD = 0x02;

function ifaddrmsg(family: Family, bits: number, index: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(familyCode(family), 0);
  b.writeUInt8(bits, 1);
  if (family === 6) b.writeUInt8(IFA_F_NODAD, 2);
  b.writeUInt32LE(index, 4);
  return b;
}

function rtmsg(family: Family, bits: number, scope: number, type: number): Buffer {
  // family, dst_len, src_len, tos, table, protocol (boot), scope, type; flags
  const b = Buffer.alloc(12);
  b.set([familyCode(family), bits, 0, 0, RT_TABLE_MAIN, 3, scope, type]);
  return b;
}

export function formatMac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

export function parseMac(s: string): Buffer | undefined {
  if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(s)) return undefined;
  return Buffer.from(s.split(":").map((x) => parseInt(x, 16)));
}

function parseLink(m: Message): Link {
  const a = parseAttrs(m.body, 16);
  const info = a.get(IFLA.LINKINFO);
  const mac = a.get(IFLA.ADDRESS);
  return {
    index: m.body.readInt32LE(4),
    name: cstring(a.get(IFLA.IFNAME)) ?? "",
    up: (m.body.readUInt32LE(8) & IFF_UP) !== 0,
    mtu: a.get(IFLA.MTU)?.readUInt32LE(0) ?? 0,
    mac: mac && mac.length === 6 ? formatMac(mac) : undefined,
    master: a.get(IFLA.MASTER)?.readUInt32LE(0),
    kind: info ? cstring(parseAttrs(info).get(IFLA_INFO.KIND)) : undefined,
  };
}

/** A request not sent yet, for `Rtnl.batch`. */
export interface RtnlRequest {
  type: number;
  flags: number;
  payload: Buffer;
  what: string;
}

function upRequest(index: number): RtnlRequest {
  return { type: RTM.NEWLINK, flags: 0, payload: ifinfomsg(index, IFF_UP, IFF_UP), what: `set link ${index} up` };
}

function addressRequest(index: number, family: Family, value: bigint, bits: number): RtnlRequest {
  const b = ipBytes(family, value);
  const payload = Buffer.concat([ifaddrmsg(family, bits, index), attr(IFA.LOCAL, b), attr(IFA.ADDRESS, b)]);
  return { type: RTM.NEWADDR, flags: NLM_F.CREATE | NLM_F.EXCL, payload, what: `add address to link ${index}` };
}

function routeRequest(r: { family: Family; dst?: bigint; bits?: number; gateway?: bigint; oif?: number }): RtnlRequest {
  const bits = r.bits ?? 0;
  const attrs: Buffer[] = [];
  if (bits > 0) attrs.push(attr(RTA.DST, ipBytes(r.family, r.dst ?? 0n)));
  if (r.gateway !== undefined) attrs.push(attr(RTA.GATEWAY, ipBytes(r.family, r.gateway)));
  if (r.oif !== undefined) attrs.push(attr(RTA.OIF, u32(r.oif)));
  // Scope: universe through a gateway, link for a directly attached prefix.
  const scope = r.gateway === undefined ? 253 : 0;
  return { type: RTM.NEWROUTE, flags: NLM_F.CREATE | NLM_F.EXCL, payload: Buffer.concat([rtmsg(r.family, bits, scope, 1), ...attrs]), what: "add route" };
}

/** Requests to put in a batch. */
export const rtnlRequests = { up: upRequest, address: addressRequest, route: routeRequest };

/** rtnetlink in one network namespace. */
export class Rtnl {
  private constructor(private readonly sock: NetlinkSocket) {}

  /** This thread's namespace, or the one at `nsPath`. */
  static open(nsPath?: string): Rtnl {
    return new Rtnl(NetlinkSocket.open(nsPath));
  }

  close(): void {
    this.sock.close();
  }

  private run(r: RtnlRequest): void {
    this.sock.request(r.type, r.flags, r.payload, r.what);
  }

  /** Sends the requests in one datagram; the kernel handles them in order, and the first that failed throws. */
  batch(requests: RtnlRequest[]): void {
    const seqs: number[] = [];
    const datagram = Buffer.concat(
      requests.map((r) => {
        const seq = NetlinkSocket.nextSeq();
        seqs.push(seq);
        return Buffer.concat([header(HEADER_SIZE + r.payload.length, r.type, r.flags | NLM_F.REQUEST | NLM_F.ACK, seq), r.payload]);
      }),
    );
    try {
      this.sock.sendBatch(datagram, "rtnetlink batch");
    } catch (e) {
      const failed = requests[seqs.indexOf((e as { seq?: number }).seq ?? -1)];
      if (failed) (e as Error).message += ` (${failed.what})`;
      throw e;
    }
  }

  links(): Link[] {
    return this.sock.request(RTM.GETLINK, NLM_F.DUMP, ifinfomsg(), "dump links").map(parseLink);
  }

  /** The link of that name, or undefined. */
  link(name: string): Link | undefined {
    try {
      const [m] = this.sock.request(RTM.GETLINK, 0, Buffer.concat([ifinfomsg(), attr(IFLA.IFNAME, str(name))]), `get link ${name}`);
      return m && parseLink(m);
    } catch (e) {
      if ((e as { code?: string }).code === "ENODEV") return undefined;
      throw e;
    }
  }

  private newLink(attrs: Buffer[], what: string): void {
    this.sock.request(RTM.NEWLINK, NLM_F.CREATE | NLM_F.EXCL, Buffer.concat([ifinfomsg(), ...attrs]), what);
  }

  createBridge(name: string, opts: { mtu?: number; mac?: string } = {}): void {
    const attrs = [attr(IFLA.IFNAME, str(name)), nested(IFLA.LINKINFO, [attr(IFLA_INFO.KIND, str("bridge"))])];
    if (opts.mtu) attrs.push(attr(IFLA.MTU, u32(opts.mtu)));
    if (opts.mac) attrs.push(attr(IFLA.ADDRESS, parseMac(opts.mac)!));
    this.newLink(attrs, `create bridge ${name}`);
  }

  /**
   * A veth pair. With `peer.netnsFd` the peer is made directly inside that
   * namespace (under `peer.name`), so it never appears in this one. `master`
   * makes this end a port of that bridge, and `up` brings this end up, in the
   * same request (not the peer: the kernel refuses ENOTCONN until the pair is
   * joined, which it is only once both exist).
   */
  createVeth(name: string, peer: { name: string; netnsFd?: number; mac?: string }, opts: { mtu?: number; master?: number; up?: boolean } = {}): void {
    const peerAttrs = [attr(IFLA.IFNAME, str(peer.name))];
    if (peer.netnsFd !== undefined) peerAttrs.push(attr(IFLA.NET_NS_FD, u32(peer.netnsFd)));
    if (peer.mac) peerAttrs.push(attr(IFLA.ADDRESS, parseMac(peer.mac)!));
    if (opts.mtu) peerAttrs.push(attr(IFLA.MTU, u32(opts.mtu)));
    const data = nested(IFLA_INFO.DATA, [nested(VETH_INFO_PEER, [ifinfomsg(), ...peerAttrs])]);
    const attrs = [attr(IFLA.IFNAME, str(name)), nested(IFLA.LINKINFO, [attr(IFLA_INFO.KIND, str("veth")), data])];
    if (opts.mtu) attrs.push(attr(IFLA.MTU, u32(opts.mtu)));
    if (opts.master !== undefined) attrs.push(attr(IFLA.MASTER, u32(opts.master)));
    const info = opts.up ? ifinfomsg(0, IFF_UP, IFF_UP) : ifinfomsg();
    this.sock.request(RTM.NEWLINK, NLM_F.CREATE | NLM_F.EXCL, Buffer.concat([info, ...attrs]), `create veth ${name}`);
  }

  private setLink(index: number, attrs: Buffer[], what: string, flags = 0, change = 0): void {
    this.sock.request(RTM.NEWLINK, 0, Buffer.concat([ifinfomsg(index, flags, change), ...attrs]), what);
  }

  setUp(index: number, up = true): void {
    if (up) this.run(upRequest(index));
    else this.setLink(index, [], `set link ${index} down`, 0, IFF_UP);
  }

  setMtu(index: number, mtu: number): void {
    this.setLink(index, [attr(IFLA.MTU, u32(mtu))], `set mtu ${mtu} on link ${index}`);
  }

  setMac(index: number, mac: string): void {
    const b = parseMac(mac);
    if (!b) throw new Error(`invalid MAC address ${mac}`);
    this.setLink(index, [attr(IFLA.ADDRESS, b)], `set address ${mac} on link ${index}`);
  }

  rename(index: number, name: string): void {
    this.setLink(index, [attr(IFLA.IFNAME, str(name))], `rename link ${index} to ${name}`);
  }

  /** Makes the link a port of the bridge `master` (0: of none). */
  setMaster(index: number, master: number): void {
    this.setLink(index, [attr(IFLA.MASTER, u32(master))], `set master of link ${index}`);
  }

  /** Moves the link into the namespace open as `netnsFd`, under `name` there if given. */
  moveToNetns(index: number, netnsFd: number, name?: string): void {
    const attrs = [attr(IFLA.NET_NS_FD, u32(netnsFd))];
    if (name) attrs.push(attr(IFLA.IFNAME, str(name)));
    this.setLink(index, attrs, `move link ${index} to a namespace`);
  }

  deleteLink(index: number): void {
    this.sock.request(RTM.DELLINK, 0, ifinfomsg(index), `delete link ${index}`);
  }

  addAddress(index: number, family: Family, value: bigint, bits: number): void {
    this.run(addressRequest(index, family, value, bits));
  }

  deleteAddress(index: number, family: Family, value: bigint, bits: number): void {
    const b = ipBytes(family, value);
    this.sock.request(RTM.DELADDR, 0, Buffer.concat([ifaddrmsg(family, bits, index), attr(IFA.LOCAL, b), attr(IFA.ADDRESS, b)]), `delete address of link ${index}`);
  }

  addresses(family?: Family): Address[] {
    const req = Buffer.alloc(8);
    req.writeUInt8(family ? familyCode(family) : AF.UNSPEC, 0);
    return this.sock.request(RTM.GETADDR, NLM_F.DUMP, req, "dump addresses").map((m) => {
      const a = parseAttrs(m.body, 8);
      const ip = ipFromBytes(a.get(IFA.LOCAL) ?? a.get(IFA.ADDRESS)!);
      return { index: m.body.readUInt32LE(4), family: ip.family, value: ip.value, bits: m.body.readUInt8(1) };
    });
  }

  /** A route in the main table: to `dst/bits` (bits 0: the default route) through `gateway` or on link `oif`. */
  addRoute(r: { family: Family; dst?: bigint; bits?: number; gateway?: bigint; oif?: number }): void {
    this.run(routeRequest(r));
  }

  /** Deletes the main table's default route of `family` through `gateway`. */
  deleteDefaultRoute(family: Family, gateway: bigint): void {
    this.sock.request(RTM.DELROUTE, 0, Buffer.concat([rtmsg(family, 0, 0, 1), attr(RTA.GATEWAY, ipBytes(family, gateway))]), "delete default route");
  }

  routes(family: Family): Route[] {
    return this.sock.request(RTM.GETROUTE, NLM_F.DUMP, rtmsg(family, 0, 0, 0), "dump routes").map((m) => {
      const a = parseAttrs(m.body, 12);
      const dst = a.get(RTA.DST);
      const gw = a.get(RTA.GATEWAY);
      const table = a.get(15 /* RTA_TABLE */)?.readUInt32LE(0) ?? m.body.readUInt8(4);
      return {
        family, bits: m.body.readUInt8(1), table,
        dst: dst ? ipFromBytes(dst).value : 0n,
        gateway: gw ? ipFromBytes(gw).value : undefined,
        oif: a.get(RTA.OIF)?.readUInt32LE(0),
      };
    });
  }
}

