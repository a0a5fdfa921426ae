// The TCP proxy's pump, on a thread of its own: it accepts on the listeners
// the daemon hands it, connects each client to its container, and moves the
// bytes both ways with splice(2) through a pipe per direction, so they never
// enter JavaScript (Bun's sockets read every chunk into a buffer and copy it
// out again). One epoll loop that blocks: nothing else runs on this thread.
// Commands come as fixed records on a pipe (see pump.ts); a half-close passes
// through, so a client that sends its request and shuts its side still gets
// the whole answer.
import { ptr } from "bun:ffi";
import { CLONE, errno, setns } from "../../runtime/libc.ts";
import { check, E, noDelay, NONBLOCK_CLOEXEC, pipe, sockaddr, sys, tcpSocket } from "./sockets.ts";
import { RECORD, OP, type PumpInit } from "./pump-protocol.ts";

declare const self: Worker;

const EPOLL = { IN: 0x1, OUT: 0x4, ERR: 0x8, HUP: 0x10, CTL_ADD: 1, CTL_DEL: 2, CTL_MOD: 3 } as const;
const SPLICE_MOVE_NONBLOCK = 1 | 2;
const F_SETPIPE_SZ = 1031;
/** fs.pipe-max-size's default: each splice hands TCP more at once (see grow()). */
const BULK_PIPE_SIZE = 1024 * 1024;
/** A new pipe's size (the kernel's default). */
const PIPE_SIZE = 65536;
const SHUT_WR = 1;

let epfd = -1;
/** What to do when an fd is ready, by the token its epoll entry carries (a fresh one per entry, so a late event for a closed fd whose number came back finds nothing). */
const handlers = new Map<number, (events: number) => void>();
let nextToken = 1;
const event = new Uint8Array(12); // struct epoll_event, packed: u32 events, u64 data

function ctl(op: number, fd: number, events: number, token: number): void {
  const v = new DataView(event.buffer);
  v.setUint32(0, events, true);
  v.setUint32(4, token, true);
  v.setUint32(8, 0, true);
  check("epoll_ctl", sys.epoll_ctl(epfd, op, fd, ptr(event)));
}

interface Watch {
  fd: number;
  token: number;
  events: number;
  /** No longer watched: the socket hung up. */
  hung?: boolean;
}

function watch(fd: number, events: number, fn: (events: number) => void): Watch {
  const token = nextToken++;
  ctl(EPOLL.CTL_ADD, fd, events, token);
  handlers.set(token, fn);
  return { fd, token, events };
}

function rewatch(w: Watch, events: number): void {
  if (w.events === events) return;
  ctl(EPOLL.CTL_MOD, w.fd, events, w.token);
  w.events = events;
}

function unwatch(w: Watch | undefined): void {
  if (!w || !handlers.delete(w.token)) return;
  sys.epoll_ctl(epfd, EPOLL.CTL_DEL, w.fd, ptr(event));
}

/** Forgets an fd about to be closed: the close takes it out of the epoll set (its fds are never duplicated). */
function forget(w: Watch | undefined): void {
  if (w) handlers.delete(w.token);
}

interface Listener {
  watch: Watch;
  family: 4 | 6;
  target: Buffer;
  conns: Set<Conn>;
}

/** One direction of a connection: from src through a pipe to dst. */
interface Flow {
  src: number;
  dst: number;
  pipeR: number;
  pipeW: number;
  /** Bytes in the pipe, not yet given to dst. */
  pending: number;
  /** The pipe's size. */
  room: number;
  /** Bytes read into the pipe so far. */
  moved: number;
  /** The pipe was asked to grow (see grow()). */
  grown: boolean;
  /** src sent its FIN. */
  eof: boolean;
  /** dst was half-closed after the last byte. */
  shut: boolean;
  /** dst is connected (the container's socket: once a write went through or it said it can be written). */
  ready: boolean;
}

interface Conn {
  listener: Listener;
  client: number;
  upstream: number;
  clientWatch?: Watch;
  upstreamWatch?: Watch;
  flows?: [Flow, Flow];
  closed: boolean;
}

function closeConn(c: Conn): void {
  if (c.closed) return;
  c.closed = true;
  forget(c.clientWatch);
  forget(c.upstreamWatch);
  sys.close(c.client);
  if (c.upstream >= 0) sys.close(c.upstream);
  for (const f of c.flows ?? []) release(f);
  c.listener.conns.delete(c);
}

/** Empty pipes kept for the next connections: two fewer pipe2 and fcntl calls each. */
const spare: { pipeR: number; pipeW: number; room: number; grown: boolean }[] = [];
const SPARE_MAX = 32;

function release(f: Flow): void {
  if (f.pending === 0 && spare.length < SPARE_MAX) return void spare.push({ pipeR: f.pipeR, pipeW: f.pipeW, room: f.room, grown: f.grown });
  sys.close(f.pipeR);
  sys.close(f.pipeW);
}

/**
 * A flow that has moved a full pipe's worth is a bulk one: its pipe grows to BULK_PIPE_SIZE, so
 * that each splice hands TCP more at once and the kernel's work per byte falls (1 MiB against
 * 256 KiB: the proxy's CPU per GiB -25%). Only then: sizing two pipes per connection up front cost
 * every short connection two fcntl calls and a larger slot array. A pipe holds pages only while
 * bytes are in it, so an idle grown pipe costs none of it.
 */
function grow(f: Flow): void {
  if (f.grown || f.moved < f.room) return;
  f.grown = true; // asked once: where fs.pipe-max-size is lower, the default pipe stays
  const room = sys.fcntl(f.pipeW, F_SETPIPE_SZ, BULK_PIPE_SIZE);
  if (room > f.room) f.room = room;
}

/** Moves what it can, reading while the pipe has room and writing while it holds bytes; false when the connection failed (reset, refused write). */
function pump(f: Flow): boolean {
  for (;;) {
    let moved = false;
    if (f.pending > 0) {
      const n = Number(sys.splice(f.pipeR, null, f.dst, null, f.pending, SPLICE_MOVE_NONBLOCK));
      if (n > 0) {
        f.pending -= n;
        f.ready = true;
        moved = true;
      } else if (n < 0 && !retry(errno())) return false;
    }
    if (!f.eof && f.pending < f.room) {
      const n = Number(sys.splice(f.src, null, f.pipeW, null, f.room - f.pending, SPLICE_MOVE_NONBLOCK));
      if (n >= 0) {
        if (n === 0) f.eof = true;
        f.pending += n;
        f.moved += n;
        moved = true;
        grow(f);
      } else if (!retry(errno())) return false;
    }
    // Not before the connect is through: a shutdown then would abort it (SYN_SENT goes to CLOSE).
    if (f.eof && f.pending === 0 && !f.shut && f.ready) {
      sys.shutdown(f.dst, SHUT_WR);
      f.shut = true;
    }
    if (!moved) return true;
  }
}

/** A call that may succeed later (would block, or a signal came). */
const retry = (e: number) => e === E.AGAIN || e === E.INTR;

/**
 * What each socket waits for: to be read while its flow's pipe is empty, to be written while the
 * other's holds bytes. Not read while bytes wait: the pipe may be full in slots before it is in
 * bytes, and a readable socket that cannot be read would wake the loop for nothing; each write
 * that goes through reads again anyway.
 */
function interest(read: Flow, written: Flow): number {
  return (!read.eof && read.pending === 0 ? EPOLL.IN : 0) | (written.pending > 0 || !written.ready ? EPOLL.OUT : 0);
}

function step(c: Conn, events: number, from?: Watch): void {
  const [up, down] = c.flows!;
  if (events & EPOLL.ERR || !pump(up) || !pump(down)) return closeConn(c);
  if (up.shut && down.shut) return closeConn(c);
  // Hung up (its peer's FIN came and its own side is shut): all that will still come from it is in
  // its buffer, read as the other socket takes bytes; watched, it would report the hang-up again and again.
  if (from && events & EPOLL.HUP) {
    unwatch(from);
    from.hung = true;
  }
  const [cw, uw] = [c.clientWatch!, c.upstreamWatch!];
  if (cw.hung && uw.hung) return closeConn(c);
  if (!cw.hung) rewatch(cw, interest(up, down));
  if (!uw.hung) rewatch(uw, interest(down, up));
}

function flow(src: number, dst: number, ready: boolean): Flow {
  const kept = spare.pop() ?? newPipe();
  return { src, dst, ...kept, pending: 0, moved: 0, eof: false, shut: false, ready };
}

function newPipe(): { pipeR: number; pipeW: number; room: number; grown: boolean } {
  const [pipeR, pipeW] = pipe(NONBLOCK_CLOEXEC);
  return { pipeR, pipeW, room: PIPE_SIZE, grown: false };
}

/** One step of a connection, for an event of one of its sockets; a failure ends that connection alone. */
function stepGuarded(c: Conn, events: number, from: Watch | undefined): void {
  try {
    step(c, events, from);
  } catch {
    closeConn(c);
  }
}

/**
 * The pipes, and each socket watched for what its flows need, as soon as the connect to the
 * container is under way: what the client sent is read at once and written to the container
 * when its socket is connected (a write before that finds it not ready, as a full one, and the
 * bytes wait in the pipe). A connect that fails reports ERR on the container's socket.
 */
function established(c: Conn, connecting: boolean): void {
  const up = flow(c.client, c.upstream, !connecting);
  try {
    c.flows = [up, flow(c.upstream, c.client, true)];
  } catch (e) {
    release(up);
    throw e;
  }
  const down = c.flows[1];
  // The container has had no time to say anything yet: what it does say (a banner) its socket's readiness will bring.
  if (!pump(up)) return closeConn(c);
  c.clientWatch = watch(c.client, interest(up, down), (events) => stepGuarded(c, events, c.clientWatch));
  c.upstreamWatch = watch(c.upstream, interest(down, up), (events) => {
    if (events & EPOLL.OUT) up.ready = true;
    stepGuarded(c, events, c.upstreamWatch);
  });
}

function accepted(l: Listener, client: number): void {
  const c: Conn = { listener: l, client, upstream: -1, closed: false };
  l.conns.add(c);
  try {
    noDelay(client);
    c.upstream = tcpSocket(l.family);
    noDelay(c.upstream);
    const connecting = sys.connect(c.upstream, ptr(l.target), l.target.length) < 0;
    if (connecting && errno() !== E.INPROGRESS) return closeConn(c);
    established(c, connecting);
  } catch {
    closeConn(c); // out of descriptors or memory: this client is turned away, the others go on
  }
}

const listeners = new Map<number, Listener>();

/**
 * One connection per wakeup: epoll (level-triggered) reports the listener again while more wait,
 * and a client that comes alone, as most do, costs no accept that finds nothing.
 */
function onAccept(l: Listener): void {
  for (;;) {
    const fd = sys.accept4(l.watch.fd, null, null, NONBLOCK_CLOEXEC);
    if (fd >= 0) return accepted(l, fd);
    if (errno() === E.INTR) continue;
    return; // EAGAIN: taken by now; anything else (EMFILE) waits for the next wakeup
  }
}

const commandBuf = new Uint8Array(RECORD * 64);

function onCommands(init: PumpInit): void {
  const n = Number(sys.read(init.commands, ptr(commandBuf), commandBuf.length));
  if (n <= 0) return;
  const v = new DataView(commandBuf.buffer);
  for (let at = 0; at + RECORD <= n; at += RECORD) {
    const op = v.getUint32(at, true);
    const fd = v.getInt32(at + 4, true);
    if (op === OP.ADD) {
      const family = v.getUint16(at + 8, true) === 6 ? 6 : 4;
      const port = v.getUint16(at + 10, true);
      const target = sockaddr(family, commandBuf.slice(at + 12, at + 12 + (family === 4 ? 4 : 16)), port);
      const had = listeners.get(fd);
      // Again for a listener it has: the container moved; the next connections go to the new target.
      if (had) Object.assign(had, { family, target });
      else {
        const l: Listener = { family, target, conns: new Set(), watch: undefined! };
        l.watch = watch(fd, EPOLL.IN, () => onAccept(l));
        listeners.set(fd, l);
      }
    } else if (op === OP.REMOVE) {
      const l = listeners.get(fd);
      if (l) {
        listeners.delete(fd);
        unwatch(l.watch);
        for (const c of [...l.conns]) closeConn(c);
      }
      sys.write(init.acks, ptr(new Uint8Array([1])), 1); // the daemon closes the listener now
    }
  }
}

function loop(init: PumpInit): never {
  setns(init.netns, CLONE.NEWNET); // the daemon's namespace, whatever thread made this one
  epfd = check("epoll_create1", sys.epoll_create1(0o2000000 /* EPOLL_CLOEXEC */));
  watch(init.commands, EPOLL.IN, () => onCommands(init));
  const max = 64;
  const events = new Uint8Array(12 * max);
  const v = new DataView(events.buffer);
  for (;;) {
    const n = sys.epoll_wait(epfd, ptr(events), max, -1);
    for (let i = 0; i < n; i++) {
      const fn = handlers.get(v.getUint32(i * 12 + 4, true));
      try {
        fn?.(v.getUint32(i * 12, true));
      } catch {
        // a connection's own failure is handled where it can be; the loop must go on for the rest
      }
    }
  }
}

self.onmessage = (e: MessageEvent<PumpInit>) => loop(e.data);
