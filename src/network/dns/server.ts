// The embedded DNS server: one UDP and one TCP listener per address (a user
// network's gateway), answering names from `lookup` and forwarding every other
// question to upstream resolvers, as dockerd's embedded server does.
import type { Socket as TcpSocket, TCPSocketListener } from "bun";
import { answer, parseQuery, RCODE, TYPE, type Question } from "./message.ts";

/** Addresses for a name asked from `client` on the listener at `local`; undefined: not ours, forward it. */
export type Lookup = (local: string, client: string, name: string) => { v4: Buffer[]; v6: Buffer[] } | undefined;

type UdpSocket = Bun.udp.Socket<"buffer">;

interface Listener {
  udp: UdpSocket;
  tcp: TCPSocketListener<{ buf: Buffer }>;
}

const FORWARD_TIMEOUT_MS = 3000;

export class DnsServer {
  private listeners = new Map<string, Listener>();
  private pending = new Map<number, { reply(b: Buffer): void; timer: ReturnType<typeof setTimeout>; id: number }>();
  private client?: Promise<UdpSocket>;
  private nextId = Math.floor(Math.random() * 0xffff);

  constructor(private readonly lookup: Lookup, private upstreams: () => string[]) {}

  get addresses(): string[] {
    return [...this.listeners.keys()];
  }

  async listen(address: string, port = 53): Promise<void> {
    if (this.listeners.has(address)) return;
    const udp = await Bun.udpSocket({
      hostname: address, port,
      socket: {
        data: (sock, data, rport, raddr) => this.handle(Buffer.from(data), address, raddr, (b) => void sock.send(b, rport, raddr)),
        // An ICMP error for an answer sent (the asker went away) is the asker's loss; unhandled, it would end the daemon.
        error: () => {},
      },
    });
    let tcp: Listener["tcp"];
    try {
      tcp = Bun.listen<{ buf: Buffer }>({
        hostname: address, port,
        socket: {
          open: (s) => void (s.data = { buf: Buffer.alloc(0) }),
          data: (s, chunk) => this.tcpData(s, Buffer.from(chunk), address),
        },
      });
    } catch (e) {
      udp.close();
      throw e;
    }
    this.listeners.set(address, { udp, tcp });
  }

  close(address: string): void {
    const l = this.listeners.get(address);
    if (!l) return;
    l.udp.close();
    l.tcp.stop(true);
    this.listeners.delete(address);
  }

  closeAll(): void {
    for (const a of [...this.listeners.keys()]) this.close(a);
    void this.client?.then((c) => c.close());
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private tcpData(s: TcpSocket<{ buf: Buffer }>, chunk: Buffer, local: string): void {
    s.data.buf = Buffer.concat([s.data.buf, chunk]);
    while (s.data.buf.length >= 2) {
      const len = s.data.buf.readUInt16BE(0);
      if (s.data.buf.length < 2 + len) return;
      const msg = s.data.buf.subarray(2, 2 + len);
      s.data.buf = s.data.buf.subarray(2 + len);
      this.handle(Buffer.from(msg), local, s.remoteAddress, (b) => {
        const framed = Buffer.alloc(2 + b.length);
        framed.writeUInt16BE(b.length, 0);
        b.copy(framed, 2);
        s.write(framed);
      });
    }
  }

  private handle(msg: Buffer, local: string, client: string, reply: (b: Buffer) => void): void {
    const q = parseQuery(msg);
    if (!q) return;
    const found = q.class === 1 ? this.lookup(local, client, q.name) : undefined;
    if (found) {
      const addrs = q.type === TYPE.A ? found.v4 : q.type === TYPE.AAAA ? found.v6 : [];
      reply(answer(q, RCODE.NOERROR, addrs));
      return;
    }
    this.forward(msg, q, reply);
  }

  /** Relays the query to the first upstream under an ID of our own; SERVFAIL when none answers in time. */
  private forward(msg: Buffer, q: Question, reply: (b: Buffer) => void): void {
    const upstream = this.upstreams()[0];
    if (!upstream) return reply(answer(q, RCODE.SERVFAIL));
    const id = (this.nextId = (this.nextId + 1) & 0xffff);
    const timer = setTimeout(() => {
      this.pending.delete(id);
      reply(answer(q, RCODE.SERVFAIL));
    }, FORWARD_TIMEOUT_MS);
    this.pending.set(id, { reply, timer, id: q.id });
    const out = Buffer.from(msg);
    out.writeUInt16BE(id, 0);
    this.client ??= Bun.udpSocket({
      socket: {
        data: (_s, data) => {
          const b = Buffer.from(data);
          if (b.length < 12) return;
          const p = this.pending.get(b.readUInt16BE(0));
          if (!p) return;
          this.pending.delete(b.readUInt16BE(0));
          clearTimeout(p.timer);
          b.writeUInt16BE(p.id, 0);
          p.reply(b);
        },
        // An upstream that refuses (ICMP port unreachable) arrives here; its query ends in SERVFAIL at the timeout.
        error: () => {},
      },
    });
    void this.client
      .then((c) => {
        if (!c.send(out, 53, upstream)) throw new Error("not sent");
      })
      .catch(() => {
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        clearTimeout(p.timer);
        reply(answer(q, RCODE.SERVFAIL));
      });
  }
}
