// nf_tables' netlink messages: a batch (BATCH_BEGIN, the changes, BATCH_END)
// that the kernel applies all or nothing. Each change is an nlmsghdr, an
// nfgenmsg (family, version, resource id) and attributes whose numbers are
// big-endian, unlike rtnetlink's.
import { attr, header, HEADER_SIZE, nested, str } from "../netlink/message.ts";
import { NetlinkSocket } from "../netlink/socket.ts";

export const NFPROTO = { INET: 1, IPV4: 2, IPV6: 10 } as const;

const NFNL_SUBSYS_NFTABLES = 10;
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFT_MSG = { NEWTABLE: 0, DELTABLE: 2, NEWCHAIN: 3, NEWRULE: 6 } as const;
const NLM_F = { REQUEST: 1, ACK: 4, CREATE: 0x400, APPEND: 0x800 } as const;

const NFTA_TABLE_NAME = 1;
const NFTA_CHAIN = { TABLE: 1, NAME: 3, HOOK: 4, POLICY: 5, TYPE: 7 } as const;
const NFTA_HOOK = { HOOKNUM: 1, PRIORITY: 2 } as const;
const NFTA_RULE = { TABLE: 1, CHAIN: 2, EXPRESSIONS: 4 } as const;
const NFTA_LIST_ELEM = 1;
const NFTA_EXPR = { NAME: 1, DATA: 2 } as const;

export const be32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v | 0);
  return b;
};
export const be16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
};

/** One expression of a rule: its name and its attributes. */
export interface Expr {
  name: string;
  attrs: Buffer[];
}

/** A change of the batch, before framing. */
interface Change {
  type: number;
  flags: number;
  attrs: Buffer[];
}

export class Batch {
  private readonly changes: Change[] = [];

  constructor(private readonly family: number) {}

  /** Adds the table, or leaves the one there as it is. */
  addTable(name: string): this {
    return this.push(NFT_MSG.NEWTABLE, NLM_F.CREATE, [attr(NFTA_TABLE_NAME, str(name))]);
  }

  /** Deletes the table with its chains and rules (it must exist: add it first in the same batch). */
  deleteTable(name: string): this {
    return this.push(NFT_MSG.DELTABLE, 0, [attr(NFTA_TABLE_NAME, str(name))]);
  }

  /** A chain; with `hook`, a base chain of that type on a netfilter hook, accepting what no rule decides. */
  addChain(table: string, name: string, hook?: { type: "nat" | "filter"; hooknum: number; priority: number }): this {
    const attrs = [attr(NFTA_CHAIN.TABLE, str(table)), attr(NFTA_CHAIN.NAME, str(name))];
    if (hook) {
      attrs.push(
        nested(NFTA_CHAIN.HOOK, [attr(NFTA_HOOK.HOOKNUM, be32(hook.hooknum)), attr(NFTA_HOOK.PRIORITY, be32(hook.priority))]),
        attr(NFTA_CHAIN.POLICY, be32(1 /* NF_ACCEPT */)),
        attr(NFTA_CHAIN.TYPE, str(hook.type)),
      );
    }
    return this.push(NFT_MSG.NEWCHAIN, NLM_F.CREATE, attrs);
  }

  /** A rule appended to the chain. */
  addRule(table: string, chain: string, exprs: Expr[]): this {
    const list = exprs.map((e) =>
      nested(NFTA_LIST_ELEM, [attr(NFTA_EXPR.NAME, str(e.name)), ...(e.attrs.length ? [nested(NFTA_EXPR.DATA, e.attrs)] : [])]),
    );
    return this.push(NFT_MSG.NEWRULE, NLM_F.CREATE | NLM_F.APPEND, [attr(NFTA_RULE.TABLE, str(table)), attr(NFTA_RULE.CHAIN, str(chain)), nested(NFTA_RULE.EXPRESSIONS, list)]);
  }

  private push(msg: number, flags: number, attrs: Buffer[]): this {
    this.changes.push({ type: (NFNL_SUBSYS_NFTABLES << 8) | msg, flags, attrs });
    return this;
  }

  get size(): number {
    return this.changes.length;
  }

  /** The whole batch as one datagram. */
  frame(): Buffer {
    const parts: Buffer[] = [];
    const message = (type: number, flags: number, family: number, resId: number, attrs: Buffer[]) => {
      const gen = Buffer.from([family, 0 /* NFNETLINK_V0 */, resId >> 8, resId & 0xff]);
      const body = Buffer.concat([gen, ...attrs]);
      parts.push(header(HEADER_SIZE + body.length, type, flags | NLM_F.REQUEST, NetlinkSocket.nextSeq()), body);
    };
    message(NFNL_MSG_BATCH_BEGIN, 0, 0, NFNL_SUBSYS_NFTABLES, []);
    for (const c of this.changes) message(c.type, c.flags | NLM_F.ACK, this.family, 0, c.attrs);
    message(NFNL_MSG_BATCH_END, 0, 0, NFNL_SUBSYS_NFTABLES, []);
    return Buffer.concat(parts);
  }
}
