// Published ports: PortBindings (and -P's exposed ports) of a container on a
// bridge network become listeners of the daemon's userland proxy, towards the
// container's address. What a running container publishes is kept in the
// store, so that a restarted daemon listens on the same host ports again.
import type { Database } from "bun:sqlite";
import { BerthError, InvalidParameterError } from "../../errors.ts";
import { portRange } from "../../shared/port-spec.ts";
import { proxyTcp } from "../../network/proxy/tcp.ts";
import { proxyUdp } from "../../network/proxy/udp.ts";
import type { ContainerRecord } from "../containers/records.ts";

export interface Published {
  /** The container's port: "80/tcp". */
  port: string;
  hostIp: string;
  hostPort: number;
}

interface Wanted {
  port: string;
  hostIp: string;
  /** "", "8080" or "8000-8010". */
  hostPort: string;
}

/** 500, as dockerd answers when a host port cannot be had. */
class PortAllocationError extends BerthError {
  constructor(message: string) {
    super(message, 500);
  }
}

function splitPort(key: string): { number: number; proto: string } | undefined {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(key);
  if (!m || Number(m[1]) > 65535 || Number(m[1]) === 0) return undefined;
  return { number: Number(m[1]), proto: (m[2] ?? "tcp").toLowerCase() };
}

/** At create: PortBindings checked the way dockerd checks them. */
export function checkPortBindings(hostConfig: Record<string, any>): void {
  for (const [key, list] of Object.entries((hostConfig.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>)) {
    const p = splitPort(key);
    if (!p) throw new InvalidParameterError(`invalid port specification: "${key}"`);
    if (p.proto === "sctp") throw new InvalidParameterError(`publishing sctp port ${key} is not supported by berth's userland proxy`);
    for (const b of list ?? []) {
      if (b.HostPort && !portRange(String(b.HostPort))) throw new InvalidParameterError(`invalid port specification: "${b.HostPort}"`);
      if (b.HostIp && !/^(\d{1,3}\.){3}\d{1,3}$/.test(b.HostIp) && !b.HostIp.includes(":")) throw new InvalidParameterError(`invalid IP address: ${b.HostIp}`);
    }
  }
}

function wanted(c: ContainerRecord): Wanted[] {
  const out: Wanted[] = [];
  const bindings = (c.hostConfig.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>;
  const normal = (k: string) => (k.includes("/") ? k.toLowerCase() : `${k}/tcp`);
  for (const [key, list] of Object.entries(bindings)) {
    for (const b of list?.length ? list : [{}]) out.push({ port: normal(key), hostIp: b.HostIp || "0.0.0.0", hostPort: String(b.HostPort ?? "") });
  }
  if (c.hostConfig.PublishAllPorts) {
    for (const key of Object.keys(c.config.ExposedPorts ?? {})) {
      if (!out.some((w) => w.port === normal(key))) out.push({ port: normal(key), hostIp: "0.0.0.0", hostPort: "" });
    }
  }
  return out;
}

interface Listener {
  close(): void;
}

export class PortPublisher {
  private listeners = new Map<string, Listener[]>();

  constructor(private readonly db: Database) {}

  /** Listens for every published port of `c` towards `target`; all or nothing. `again`: the ports a restarted daemon had. */
  async publish(c: ContainerRecord, target: string, endpointId: string, again?: Published[]): Promise<Published[]> {
    const list = again ?? [];
    const opened: Listener[] = [];
    try {
      if (!again) {
        for (const w of wanted(c)) {
          const { port, listener } = await this.listenAny(w, target, c.name, endpointId);
          opened.push(listener);
          list.push({ port: w.port, hostIp: w.hostIp, hostPort: port });
        }
      } else {
        for (const p of again) opened.push((await this.listen(p.port, p.hostIp, p.hostPort, target)).listener);
      }
    } catch (e) {
      for (const l of opened) l.close();
      throw e;
    }
    this.listeners.set(c.id, opened);
    if (!again) {
      const insert = this.db.query("INSERT OR REPLACE INTO published_ports (container_id, port, host_ip, host_port) VALUES (?, ?, ?, ?)");
      this.db.transaction(() => list.forEach((p) => insert.run(c.id, p.port, p.hostIp, p.hostPort)))();
    }
    return list;
  }

  private async listenAny(w: Wanted, target: string, name: string, endpointId: string): Promise<{ port: number; listener: Listener }> {
    const range = w.hostPort ? portRange(w.hostPort)! : [0, 0];
    let last: unknown;
    for (let p = range[0]; p <= range[1]; p++) {
      try {
        return await this.listen(w.port, w.hostIp, p, target);
      } catch (e) {
        last = e;
      }
    }
    const shown = w.hostPort || "0";
    const why = (last as { code?: string })?.code === "EADDRINUSE" || /in use|EADDRINUSE/i.test(String(last)) ? "port is already allocated" : String((last as Error)?.message ?? last);
    throw new PortAllocationError(`driver failed programming external connectivity on endpoint ${name} (${endpointId}): Bind for ${w.hostIp}:${shown} failed: ${why}`);
  }

  private async listen(key: string, hostIp: string, hostPort: number, target: string): Promise<{ port: number; listener: Listener }> {
    const { number, proto } = splitPort(key)!;
    if (proto === "udp") {
      const u = await proxyUdp(hostIp, hostPort, target, number);
      return { port: u.port, listener: u };
    }
    const t = proxyTcp(hostIp, hostPort, target, number);
    return { port: t.port, listener: { close: () => t.stop(true) } };
  }

  /** The container's program ended: its listeners and rows go. Whether it published any. */
  unpublish(containerId: string): boolean {
    for (const l of this.listeners.get(containerId) ?? []) l.close();
    this.listeners.delete(containerId);
    return this.db.query("DELETE FROM published_ports WHERE container_id = ?").run(containerId).changes > 0;
  }

  published(containerId: string): Published[] {
    return this.db
      .query<{ port: string; host_ip: string; host_port: number }, [string]>("SELECT port, host_ip, host_port FROM published_ports WHERE container_id = ?")
      .all(containerId)
      .map((r) => ({ port: r.port, hostIp: r.host_ip, hostPort: r.host_port }));
  }

  /** Every container's published ports. */
  all(): (Published & { containerId: string })[] {
    return this.db
      .query<{ container_id: string; port: string; host_ip: string; host_port: number }, []>("SELECT container_id, port, host_ip, host_port FROM published_ports")
      .all()
      .map((r) => ({ containerId: r.container_id, port: r.port, hostIp: r.host_ip, hostPort: r.host_port }));
  }

  isListening(containerId: string): boolean {
    return this.listeners.has(containerId);
  }

  closeAll(): void {
    for (const ls of this.listeners.values()) for (const l of ls) l.close();
    this.listeners.clear();
  }
}

/** NetworkSettings.Ports: every exposed or published port, with its bindings or null. */
export function portsView(c: ContainerRecord, published: Published[]): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const k of Object.keys(c.config.ExposedPorts ?? {})) out[k.includes("/") ? k : `${k}/tcp`] = null;
  for (const p of published) (out[p.port] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  return out;
}

/** The container list's Ports. */
export function portsSummary(c: ContainerRecord, published: Published[]): Record<string, unknown>[] {
  return Object.entries(portsView(c, published)).flatMap(([k, list]) => {
    const [n, type] = k.split("/");
    if (!list) return [{ PrivatePort: Number(n), Type: type }];
    return list.map((b) => ({ IP: b.HostIp, PrivatePort: Number(n), PublicPort: Number(b.HostPort), Type: type }));
  });
}
