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

export async function proxyUdp(host: string, port: number, target: string, targetPort: number): Promise<UdpProxy> {
  const flows = new Map<string, { sock: Promise<UdpSocket>; last: number }>();
  const server: UdpSocket = await Bun.udpSocket({
    hostname: host, port,
    socket: {
      data(_s, data, rport, raddr) {
        const key = `${raddr}|${rport}`;
        let flow = flows.get(key);
        if (!flow) {
          flow = {
            last: Date.now(),
            sock: Bun.udpSocket({ socket: { data: (_u, reply) => void server.send(reply, rport, raddr) } }),
          };
          flows.set(key, flow);
        }
        flow.last = Date.now();
        const payload = Buffer.from(data);
        void flow.sock.then((u) => u.send(payload, targetPort, target)).catch(skipped("proxying a UDP datagram"));
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
