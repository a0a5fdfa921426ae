// The userland proxy for a published TCP port: the daemon's thread makes the
// listening socket (a taken port fails here, at once), and the pump thread
// (pump-worker.ts) accepts on it, connects each client to the container's
// address and splices the bytes both ways. One pump serves every listener of
// the daemon; it starts with the first.
import { openSync } from "node:fs";
import { dirname } from "node:path";
import { ptr } from "bun:ffi";
import { check, listenTcp, parseAddress, pipe, sys } from "./sockets.ts";
import { OP, RECORD, type PumpInit } from "./pump-protocol.ts";

export interface TcpProxy {
  /** The host port (the kernel's pick when 0 was asked). */
  port: number;
  /** Stops listening and ends the port's connections; the port is free when it returns. */
  stop(): void;
  /** Asks the target again: new connections go where it says now, those made stay. */
  retarget(): void;
}

/** The worker's entry: in the executable, beside the main entry where the build put it (as src/layer/hash/threaded.ts finds its own). */
function workerEntry(): string {
  if (import.meta.url.includes("/$bunfs/")) return `${dirname(Bun.main)}/network/proxy/pump-worker.js`;
  return new URL("./pump-worker.ts", import.meta.url).href;
}

const O_CLOEXEC = 0o2000000;
/** How long a stop waits for the pump to let go of a listener before closing it anyway. */
const ACK_MS = 3000;

let pump: { commands: number; acks: number } | undefined;

function startPump(): { commands: number; acks: number } {
  const [commandsR, commandsW] = pipe(O_CLOEXEC);
  const [acksR, acksW] = pipe(O_CLOEXEC);
  // This thread's namespace now, not whatever one the new thread starts in.
  const init: PumpInit = { commands: commandsR, acks: acksW, netns: openSync("/proc/thread-self/ns/net", "r") };
  const w = new Worker(workerEntry());
  w.unref(); // it never ends by itself; the daemon's exit ends it
  w.postMessage(init);
  return { commands: commandsW, acks: acksR };
}

function send(op: number, fd: number, family = 4, port = 0, addr: Uint8Array = new Uint8Array(16)): void {
  pump ??= startPump();
  const r = new Uint8Array(RECORD);
  const v = new DataView(r.buffer);
  v.setUint32(0, op, true);
  v.setInt32(4, fd, true);
  v.setUint16(8, family, true);
  v.setUint16(10, port, true);
  r.set(addr, 12);
  check("write", sys.write(pump.commands, ptr(r), RECORD));
}

/** Until the pump says it let go of a listener (ACK_MS at most: a pump that is gone must not hold the daemon). */
function awaitAck(): void {
  const pfd = new Uint8Array(8); // struct pollfd: i32 fd, i16 events, i16 revents
  const v = new DataView(pfd.buffer);
  v.setInt32(0, pump!.acks, true);
  v.setInt16(4, 1 /* POLLIN */, true);
  if (sys.poll(ptr(pfd), 1, ACK_MS) > 0) sys.read(pump!.acks, ptr(new Uint8Array(1)), 1);
}

/**
 * Listens on host:port (0: a port the kernel picks) and proxies to target:targetPort; a target
 * given as a function is asked again at each retarget (it can move). On an IPv6 address, IPv6
 * alone: IPv4 has a listener of its own. Throws EADDRINUSE when taken.
 */
export function proxyTcp(host: string, port: number, target: string | (() => string), targetPort: number): TcpProxy {
  const to = typeof target === "string" ? () => target : target;
  const l = listenTcp(host, port);
  // The pump takes an ADD for a listener it has as its new target.
  const aim = () => {
    const a = parseAddress(to());
    send(OP.ADD, l.fd, a.family, targetPort, a.bytes);
  };
  try {
    aim();
  } catch (e) {
    sys.close(l.fd);
    throw e;
  }
  let stopped = false;
  return {
    port: l.port,
    retarget: () => {
      if (!stopped) aim();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      send(OP.REMOVE, l.fd);
      awaitAck();
      sys.close(l.fd);
    },
  };
}
