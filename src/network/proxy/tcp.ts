// The userland proxy for a published TCP port: each connection to the host
// port gets one to the container's address, and bytes are copied both ways
// with backpressure (what a write could not take waits for the next drain).
// Half-closes pass through: a client that sends its request and shuts its
// write side still gets the whole answer.
import type { Socket, TCPSocketListener } from "bun";

interface Side {
  peer?: Socket<Side>;
  /** Bytes for this socket that it could not take yet. */
  queue: Buffer[];
  /** Data from this socket that came before its peer was connected. */
  early: Buffer[];
  /** This socket sent its FIN (nothing more will come from it). */
  ended: boolean;
  closed: boolean;
}

const side = (peer?: Socket<Side>): Side => ({ peer, queue: [], early: [], ended: false, closed: false });

/** Writes what is queued for `to`; once all is out and its peer has ended, passes the FIN on. */
function flush(to: Socket<Side>): void {
  const q = to.data.queue;
  while (q.length) {
    const b = q[0]!;
    const n = to.write(b);
    if (n < b.length) {
      q[0] = b.subarray(Math.max(n, 0));
      return;
    }
    q.shift();
  }
  const from = to.data.peer;
  if (from?.data.ended && !to.data.closed) {
    if (to.data.ended) to.end();
    else to.shutdown();
  }
}

function forward(from: Socket<Side>, data: Buffer): void {
  const to = from.data.peer;
  if (!to) return void from.data.early.push(Buffer.from(data));
  to.data.queue.push(Buffer.from(data));
  flush(to);
}

function onEnd(s: Socket<Side>): void {
  s.data.ended = true;
  if (s.data.peer) flush(s.data.peer);
}

function onClose(s: Socket<Side>): void {
  s.data.closed = true;
  s.data.ended = true;
  const p = s.data.peer;
  if (p && !p.data.closed) {
    flush(p);
    p.end();
  }
}

const handlers = {
  data: (s: Socket<Side>, d: Buffer) => forward(s, d),
  drain: (s: Socket<Side>) => flush(s),
  end: onEnd,
  close: onClose,
  error: onClose,
};

/**
 * Listens on host:port (0: a port the kernel picks) and proxies to target:targetPort; a target
 * given as a function is asked at each connection (it can move). On "::", IPv6 alone: IPv4 has
 * a listener of its own. Throws EADDRINUSE when taken.
 */
export function proxyTcp(host: string, port: number, target: string | (() => string), targetPort: number): TCPSocketListener<Side> {
  const to = typeof target === "string" ? () => target : target;
  return Bun.listen<Side>({
    hostname: host, port, allowHalfOpen: true, ...(host === "::" ? { ipv6Only: true } : {}),
    socket: {
      ...handlers,
      open(client) {
        client.data = side();
        Bun.connect<Side>({ hostname: to(), port: targetPort, allowHalfOpen: true, socket: handlers, data: side(client) })
          .then((upstream) => {
            if (client.data.closed) return void upstream.end();
            client.data.peer = upstream;
            for (const b of client.data.early.splice(0)) forward(client, b);
            if (client.data.ended) flush(upstream);
          })
          .catch(() => client.end());
      },
    },
  });
}
