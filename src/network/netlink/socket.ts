// An AF_NETLINK socket through libc (NETLINK_ROUTE, or NETLINK_NETFILTER for
// nf_tables). Requests are synchronous: the kernel handles a request while it
// is sent, so the answer is waiting when recv is called and a blocking recv
// never stalls the event loop for long.
// A netlink socket belongs to the network namespace it was made in for its
// whole life: `open(nsPath)` makes it inside another namespace (briefly moving
// the calling thread there), which is how a container's side is configured.
import { FFIType, ptr } from "bun:ffi";
import { closeSync, openSync } from "node:fs";
import { lazySymbols } from "../../ffi/lazy-dlopen.ts";
import { CLONE, errno, setns, SyscallError } from "../../runtime/libc.ts";
import { NLM_F, NLMSG, header, HEADER_SIZE, readMessages, type Message } from "./message.ts";

const { i32, i64, u64, ptr: P } = FFIType;

const sym = lazySymbols("libc.so.6", {
  socket: { args: [i32, i32, i32], returns: i32 },
  send: { args: [i32, P, u64, i32], returns: i64 },
  recv: { args: [i32, P, u64, i32], returns: i64 },
  close: { args: [i32], returns: i32 },
});

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_ROUTE = 0;
export const NETLINK_NETFILTER = 12;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;

let nextSeq = Math.floor(Math.random() * 0x7fffffff);

/** Runs `fn` with the calling thread inside the network namespace at `nsPath`, then goes back. */
export function inNetns<T>(nsPath: string, fn: () => T): T {
  const home = openSync("/proc/thread-self/ns/net", "r");
  const target = openSync(nsPath, "r");
  try {
    setns(target, CLONE.NEWNET);
    try {
      return fn();
    } finally {
      setns(home, CLONE.NEWNET);
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
}

export class NetlinkSocket {
  private closed = false;
  private readonly buf = Buffer.alloc(256 * 1024);

  private constructor(private readonly fd: number) {}

  /** A socket in this thread's namespace, or in the one at `nsPath` (a /proc/PID/ns/net or a bind-mounted netns file). */
  static open(nsPath?: string, protocol = NETLINK_ROUTE): NetlinkSocket {
    const make = () => {
      const fd = sym.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
      if (fd < 0) throw new SyscallError("socket(AF_NETLINK)", errno());
      return new NetlinkSocket(fd);
    };
    return nsPath ? inNetns(nsPath, make) : make();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    sym.close(this.fd);
  }

  /**
   * Sends one request and returns the kernel's answers: for a dump, every
   * message up to NLMSG_DONE; otherwise the replies before the ACK. A negative
   * error in the kernel's NLMSG_ERROR throws a SyscallError with its errno.
   */
  request(type: number, flags: number, payload: Uint8Array, what = ""): Message[] {
    const seq = (nextSeq = (nextSeq + 1) & 0x7fffffff);
    const dump = (flags & NLM_F.DUMP) === NLM_F.DUMP;
    const msg = Buffer.concat([header(HEADER_SIZE + payload.length, type, flags | NLM_F.REQUEST | (dump ? 0 : NLM_F.ACK), seq), payload]);
    const sent = Number(sym.send(this.fd, ptr(msg), msg.length, 0));
    if (sent < 0) throw new SyscallError("netlink send", errno(), what);
    const out: Message[] = [];
    for (;;) {
      const n = Number(sym.recv(this.fd, ptr(this.buf), this.buf.length, 0));
      if (n < 0) {
        const e = errno();
        if (e === 4 /* EINTR */) continue;
        throw new SyscallError("netlink recv", e, what);
      }
      for (const m of readMessages(this.buf.subarray(0, n))) {
        if (m.seq !== seq) continue; // an answer to an earlier, abandoned request
        if (m.type === NLMSG.DONE) return out;
        if (m.type === NLMSG.ERROR) {
          const code = m.body.readInt32LE(0);
          if (code < 0) throw new SyscallError(`netlink ${what || type}`, -code);
          return out;
        }
        out.push({ ...m, body: Buffer.from(m.body) }); // the receive buffer is reused
      }
    }
  }

  /** The next sequence number, for callers that frame their own messages (batches). */
  static nextSeq(): number {
    return (nextSeq = (nextSeq + 1) & 0x7fffffff);
  }

  /**
   * Sends messages framed by the caller in one datagram (an nfnetlink batch)
   * and collects the kernel's answers, which it queued while the send ran:
   * the first negative error among them throws, with `what` and the failing
   * message's sequence number for the caller to name it.
   */
  sendBatch(datagram: Buffer, what: string): void {
    const sent = Number(sym.send(this.fd, ptr(datagram), datagram.length, 0));
    if (sent < 0) throw new SyscallError("netlink send", errno(), what);
    let failure: SyscallError | undefined;
    for (;;) {
      const n = Number(sym.recv(this.fd, ptr(this.buf), this.buf.length, MSG_DONTWAIT));
      if (n < 0) {
        const e = errno();
        if (e === 4 /* EINTR */) continue;
        if (e === EAGAIN) break;
        throw new SyscallError("netlink recv", e, what);
      }
      for (const m of readMessages(this.buf.subarray(0, n))) {
        const code = m.type === NLMSG.ERROR ? m.body.readInt32LE(0) : 0;
        if (code < 0 && !failure) failure = Object.assign(new SyscallError(`netlink ${what}`, -code), { seq: m.seq });
      }
    }
    if (failure) throw failure;
  }
}
