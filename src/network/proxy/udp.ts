// The userland proxy for a published UDP port: each client address gets its
// own socket towards the container, so that answers find their way back;
// a flow nobody used for a while is closed.
import { skipped } from "../../shared/debug-log.ts";
type UdpSocket = Bun.udp.Socket<"buffer">;

const IDLE_MS = 30_000;

export interface UdpProxy {
  port: number;
  close(): void;
}

/**
 * Relays datagrams on host:port to target:targetPort. A target given as a function is asked per
 * client with the client's address (on "::" the socket takes IPv4 clients too, as ::ffff:a.b.c.d).
 */
export async function proxyUdp(host: string, port: number, target: string | ((client: string) => string), targetPort: number): Promise<UdpProxy> {
  const to = typeof target === "string" ? () => target : target;
  const flows = new Map<string, { sock: Promise<UdpSocket>; last: number }>();
  const server: UdpSocket = await Bun.udpSocket({
    hostname: host, port,
    socket: {
      data(_s, data, rport, raddr) {
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
        const payload = Buffer.from(data);
        void flow.sock.then((u) => u.send(payload, targetPort, dest)).catch(skipped("proxying a UDP datagram"));
      },
    },
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
    port: server.port,
    close() {
      clearInterval(sweep);
      server.close();
      for (const f of flows.values()) void f.sock.then((u) => u.close());
      flows.clear();
    },
  };
}
