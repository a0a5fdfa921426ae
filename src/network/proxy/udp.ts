// The userland proxy for a published UDP port: each client address gets its
// own socket towards the container, so that answers find their way back;
// a flow nobody used for a while is closed.
import type { Socket } from "node:dgram";
import { skipped } from "../../shared/debug-log.ts";
type UdpSocket = Bun.udp.Socket<"buffer">;

const IDLE_MS = 30_000;

export interface UdpProxy {
  port: number;
  close(): void;
}

/**
 * The listening socket. On an IPv6 address ("::" too) IPv6 alone, as docker-proxy listens: IPv4 has
 * a socket of its own. node:dgram, since Bun's own UDP sockets cannot be made IPv6-only.
 */
async function listen(host: string, port: number): Promise<Socket> {
  const v6 = host.includes(":");
  const { createSocket } = await import("node:dgram"); // loaded when a port is published, not at every command's start
  const s = createSocket({ type: v6 ? "udp6" : "udp4", ipv6Only: v6 });
  await new Promise<void>((resolve, reject) => {
    s.once("error", reject);
    s.bind(port, host, () => {
      s.off("error", reject);
      resolve();
    });
  });
  s.on("error", skipped("a published UDP port's socket"));
  return s;
}

/** Relays datagrams on host:port to target:targetPort. A target given as a function is asked per client with the client's address. */
export async function proxyUdp(host: string, port: number, target: string | ((client: string) => string), targetPort: number): Promise<UdpProxy> {
  const to = typeof target === "string" ? () => target : target;
  const flows = new Map<string, { sock: Promise<UdpSocket>; last: number }>();
  const server = await listen(host, port);
  server.on("message", (data, { address: raddr, port: rport }) => {
    const key = `${raddr}|${rport}`;
    const dest = to(raddr);
    let flow = flows.get(key);
    if (!flow) {
      flow = {
        last: Date.now(),
        // Of the target's family: a socket of the other one could not send to it.
        sock: Bun.udpSocket({ hostname: dest.includes(":") ? "::" : "0.0.0.0", socket: { data: (_u, reply) => void server.send(reply, rport, raddr) } }),
      };
      flows.set(key, flow);
    }
    flow.last = Date.now();
    const payload = Buffer.from(data); // kept until the flow's socket is there
    void flow.sock.then((u) => u.send(payload, targetPort, dest)).catch(skipped("proxying a UDP datagram"));
  });
  const sweep = setInterval(() => {
    for (const [k, f] of flows) {
      if (Date.now() - f.last < IDLE_MS) continue;
      flows.delete(k);
      void f.sock.then((u) => u.close());
    }
  }, IDLE_MS);
  sweep.unref?.();
  return {
    port: server.address().port,
    close() {
      clearInterval(sweep);
      server.close();
      for (const f of flows.values()) void f.sock.then((u) => u.close());
      flows.clear();
    },
  };
}
