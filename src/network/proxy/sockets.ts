// The socket, pipe and epoll calls of the TCP proxy, through bun:ffi: its
// listeners are made here (so a taken port fails at once, with EADDRINUSE),
// and its pump thread moves bytes with splice(2), which Bun's sockets cannot.
import { FFIType, ptr } from "bun:ffi";
import { lazySymbols } from "../../ffi/lazy-dlopen.ts";
import { errno, SyscallError } from "../../runtime/libc.ts";
import { ipBytes, parseIP, type Family } from "../ip.ts";

const { i32, i64, u32, u64, ptr: P } = FFIType;

export const sys = lazySymbols("libc.so.6", {
  socket: { args: [i32, i32, i32], returns: i32 },
  bind: { args: [i32, P, u32], returns: i32 },
  listen: { args: [i32, i32], returns: i32 },
  accept4: { args: [i32, P, P, i32], returns: i32 },
  connect: { args: [i32, P, u32], returns: i32 },
  getsockname: { args: [i32, P, P], returns: i32 },
  getsockopt: { args: [i32, i32, i32, P, P], returns: i32 },
  setsockopt: { args: [i32, i32, i32, P, u32], returns: i32 },
  shutdown: { args: [i32, i32], returns: i32 },
  close: { args: [i32], returns: i32 },
  pipe2: { args: [P, i32], returns: i32 },
  fcntl: { args: [i32, i32, i32], returns: i32 },
  splice: { args: [i32, P, i32, P, u64, u32], returns: i64 },
  read: { args: [i32, P, u64], returns: i64 },
  write: { args: [i32, P, u64], returns: i64 },
  poll: { args: [P, u64, i32], returns: i32 },
  epoll_create1: { args: [i32], returns: i32 },
  epoll_ctl: { args: [i32, i32, i32, P], returns: i32 },
  epoll_wait: { args: [i32, P, i32, i32], returns: i32 },
});

export const E = { INTR: 4, AGAIN: 11, INPROGRESS: 115 } as const;
const AF = { 4: 2, 6: 10 } as const;
const SOCK_STREAM = 1;
export const NONBLOCK_CLOEXEC = 0o4000 | 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
export const SO_ERROR = 4;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;

/** A call's result, or the SyscallError of its errno. */
export function check<T extends number | bigint>(call: string, r: T, detail?: string): T {
  if (Number(r) < 0) throw new SyscallError(call, errno(), detail);
  return r;
}

/** sockaddr_in or sockaddr_in6 of an address and port. */
export function sockaddr(family: Family, addr: Uint8Array, port: number): Buffer {
  const b = Buffer.alloc(family === 4 ? 16 : 28);
  b.writeUInt16LE(AF[family], 0);
  b.writeUInt16BE(port, 2);
  b.set(addr, family === 4 ? 4 : 8);
  return b;
}

export function parseAddress(s: string): { family: Family; bytes: Buffer } {
  const ip = parseIP(s);
  if (!ip) throw new Error(`not an IP address: ${s}`);
  return { family: ip.family, bytes: ipBytes(ip.family, ip.value) };
}

const intOption = new Int32Array(1); // one per thread: setsockopt copies it before it returns
function setInt(fd: number, level: number, name: number, value: number): void {
  intOption[0] = value;
  check("setsockopt", sys.setsockopt(fd, level, name, ptr(intOption), 4));
}

/** A non-blocking TCP socket of the family. */
export function tcpSocket(family: Family): number {
  return check("socket", sys.socket(AF[family], SOCK_STREAM | NONBLOCK_CLOEXEC, 0));
}

/** Small writes go out at once (a request and its answer, as Go's sockets do in docker-proxy). */
export function noDelay(fd: number): void {
  setInt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
}

/** A listening socket on host:port (0: one the kernel picks), and the port it got. */
export function listenTcp(host: string, port: number): { fd: number; port: number } {
  const a = parseAddress(host);
  const fd = tcpSocket(a.family);
  try {
    setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (a.family === 6) setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1); // IPv4 has a listener of its own
    const sa = sockaddr(a.family, a.bytes, port);
    check("bind", sys.bind(fd, ptr(sa), sa.length), `${host}:${port}`);
    check("listen", sys.listen(fd, 511));
    const got = Buffer.alloc(28);
    const len = new Uint32Array([got.length]);
    check("getsockname", sys.getsockname(fd, ptr(got), ptr(len)));
    return { fd, port: got.readUInt16BE(2) };
  } catch (e) {
    sys.close(fd);
    throw e;
  }
}

/**
 * Why this kernel cannot make SCTP sockets, in Go's words for the errno (what docker-proxy reports),
 * or undefined when it can.
 */
export function sctpUnavailable(): string | undefined {
  const fd = sys.socket(AF[4], SOCK_STREAM | NONBLOCK_CLOEXEC, IPPROTO_SCTP);
  if (fd >= 0) {
    sys.close(fd);
    return undefined;
  }
  const e = errno();
  return goErrnoText[e] ?? `errno ${e}`;
}
const IPPROTO_SCTP = 132;
const goErrnoText: Record<number, string> = { 93: "protocol not supported", 94: "socket type not supported", 97: "address family not supported by protocol", 13: "permission denied" };

/** A pipe's two ends [read, write]. */
export function pipe(flags: number): [number, number] {
  const fds = new Int32Array(2);
  check("pipe2", sys.pipe2(ptr(fds), flags));
  return [fds[0]!, fds[1]!];
}
