// Published ports: PortBindings (and -P's exposed ports) of a container on a
// bridge network become listeners of the daemon's userland proxy, towards the
// container's address. What a running container publishes is kept in the
// store, so that a restarted daemon listens on the same host ports again.
import type { Database } from "bun:sqlite";
import { BerthError, InvalidParameterError } from "../../errors.ts";
import { portRange } from "../../shared/port-spec.ts";
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
    for (const b of list ?? []) {
      if (b.HostPort && !portRange(String(b.HostPort))) throw new InvalidParameterError(`invalid port specification: "${b.HostPort}"`);
      if (b.HostIp && !/^(\d{1,3}\.){3}\d{1,3}$/.test(b.HostIp) && !b.HostIp.includes(":")) throw new InvalidParameterError(`invalid IP address: ${b.HostIp}`);
    }
  }
}

/** Each binding asked for; HostIp "" is every address of both families, as dockerd takes it. */
function wanted(c: ContainerRecord): Wanted[] {
  const out: Wanted[] = [];
  const bindings = (c.hostConfig.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>;
  const normal = (k: string) => (k.includes("/") ? k.toLowerCase() : `${k}/tcp`);
  for (const [key, list] of Object.entries(bindings)) {
    for (const b of list?.length ? list : [{}]) out.push({ port: normal(key), hostIp: b.HostIp ?? "", hostPort: String(b.HostPort ?? "") });
  }
  if (c.hostConfig.PublishAllPorts) {
    for (const key of Object.keys(c.config.ExposedPorts ?? {})) {
      if (!out.some((w) => w.port === normal(key))) out.push({ port: normal(key), hostIp: "", hostPort: "" });
    }
  }
  return out;
}

interface Listener {
  close(): void;
  /** Asks its target again (the TCP proxy's pump holds the address it connects to). */
  retarget?(): void;
}

/**
 * Where a container's published ports lead: its addresses on the network that gives it its
 * gateway. The publisher keeps the object, so that moving the gateway moves the ports.
 */
export interface PortTarget {
  v4: string;
  v6?: string;
}

const inUse = (e: unknown) => (e as { code?: string })?.code === "EADDRINUSE" || /in use|EADDRINUSE/i.test(String(e));
/** A listen that failed, and on which of the two addresses of a default binding. */
class BindFailure {
  constructor(readonly hostIp: string, readonly error: unknown) {}
}
/** How often a port the kernel picked for IPv4 is tried again when IPv6 has it taken. */
const ephemeralTries = 8;

export class PortPublisher {
  private listeners = new Map<string, Listener[]>();
  private targets = new Map<string, PortTarget>();

  constructor(private readonly db: Database) {}

  /** Listens for every published port of `c` towards `target`; all or nothing. `again`: the ports a restarted daemon had. */
  async publish(c: ContainerRecord, target: PortTarget, endpointId: string, again?: Published[]): Promise<Published[]> {
    const t = { ...target };
    const list: Published[] = [];
    const opened: Listener[] = [];
    try {
      if (!again) {
        for (const w of wanted(c)) {
          const got = await this.listenAny(w, t, c.name, endpointId);
          opened.push(...got.listeners);
          list.push(...got.hostIps.map((hostIp) => ({ port: w.port, hostIp, hostPort: got.port })));
        }
      } else {
        for (const p of again) {
          opened.push(await this.listen(p.port, p.hostIp, p.hostPort, t));
          list.push(p);
        }
      }
    } catch (e) {
      for (const l of opened) l.close();
      throw e;
    }
    this.listeners.set(c.id, opened);
    this.targets.set(c.id, t);
    if (!again) {
      const insert = this.db.query("INSERT OR REPLACE INTO published_ports (container_id, port, host_ip, host_port) VALUES (?, ?, ?, ?)");
      this.db.transaction(() => list.forEach((p) => insert.run(c.id, p.port, p.hostIp, p.hostPort)))();
    }
    return list;
  }

  /** The container's ports lead to `target` from now on (connections already made stay where they are). */
  retarget(containerId: string, target: PortTarget): void {
    const t = this.targets.get(containerId);
    if (!t) return;
    Object.assign(t, { v4: target.v4, v6: target.v6 });
    for (const l of this.listeners.get(containerId) ?? []) l.retarget?.();
  }

  /** One binding: a host port from its range (or the kernel's pick), on its address or, for "", on 0.0.0.0 and "::". */
  private async listenAny(w: Wanted, t: PortTarget, name: string, endpointId: string): Promise<{ port: number; hostIps: string[]; listeners: Listener[] }> {
    if (w.port.endsWith("/sctp")) {
      // Accepted at create, refused at start, as dockerd does where docker-proxy cannot listen.
      const { sctpUnavailable } = await import("../../network/proxy/sockets.ts");
      const why = sctpUnavailable() ?? "sctp is not supported by berth's userland proxy";
      throw new PortAllocationError(`driver failed programming external connectivity on endpoint ${name} (${endpointId}): Error starting userland proxy: ${why}`);
    }
    const range = w.hostPort ? portRange(w.hostPort)! : [0, 0];
    const tries = w.hostPort ? range[1] - range[0] + 1 : ephemeralTries;
    let last: unknown;
    let lastIp = w.hostIp || "0.0.0.0";
    for (let i = 0; i < tries; i++) {
      const p = w.hostPort ? range[0] + i : 0;
      try {
        if (!w.hostIp) return await this.listenBoth(w.port, p, t);
        const l = await this.listen(w.port, w.hostIp, p, t);
        return { port: l.port, hostIps: [w.hostIp], listeners: [l] };
      } catch (e) {
        last = e instanceof BindFailure ? e.error : e;
        if (e instanceof BindFailure) lastIp = e.hostIp;
      }
    }
    const shown = w.hostPort || "0";
    const why = inUse(last) ? "port is already allocated" : String((last as Error)?.message ?? last);
    const where = lastIp.includes(":") ? `[${lastIp}]` : lastIp;
    throw new PortAllocationError(`driver failed programming external connectivity on endpoint ${name} (${endpointId}): Bind for ${where}:${shown} failed: ${why}`);
  }

  /**
   * Every address: IPv4 on 0.0.0.0 and IPv6 on "::" with the same port, as dockerd binds both.
   * Where this namespace has no IPv6, IPv4 alone. A failure says which address it was.
   */
  private async listenBoth(key: string, hostPort: number, t: PortTarget): Promise<{ port: number; hostIps: string[]; listeners: Listener[] }> {
    const v4 = await this.listen(key, "0.0.0.0", hostPort, t).catch((e) => Promise.reject(new BindFailure("0.0.0.0", e)));
    try {
      const v6 = await this.listen(key, "::", v4.port, t);
      return { port: v4.port, hostIps: ["0.0.0.0", "::"], listeners: [v4, v6] };
    } catch (e) {
      if (!inUse(e)) return { port: v4.port, hostIps: ["0.0.0.0"], listeners: [v4] };
      v4.close();
      throw new BindFailure("::", e);
    }
  }

  /** A listener on hostIp:hostPort towards the target's address of the host address's family (IPv4 when it has no IPv6, as docker-proxy does). */
  private async listen(key: string, hostIp: string, hostPort: number, t: PortTarget): Promise<Listener & { port: number }> {
    const { number, proto } = splitPort(key)!;
    const v6Host = hostIp.includes(":");
    // The proxy is loaded with the first published port, not at the daemon's start.
    if (proto === "udp") return (await import("../../network/proxy/udp.ts")).proxyUdp(hostIp, hostPort, () => (v6Host ? (t.v6 ?? t.v4) : t.v4), number);
    const l = (await import("../../network/proxy/tcp.ts")).proxyTcp(hostIp, hostPort, () => (v6Host ? (t.v6 ?? t.v4) : t.v4), number);
    return { port: l.port, close: () => l.stop(), retarget: () => l.retarget() };
  }

  /** The container's program ended: its listeners and rows go. Whether it published any. */
  unpublish(containerId: string): boolean {
    for (const l of this.listeners.get(containerId) ?? []) l.close();
    this.listeners.delete(containerId);
    this.targets.delete(containerId);
    return this.db.query("DELETE FROM published_ports WHERE container_id = ?").run(containerId).changes > 0;
  }

  published(containerId: string): Published[] {
    return this.db
      .query<{ port: string; host_ip: string; host_port: number }, [string]>("SELECT port, host_ip, host_port FROM published_ports WHERE container_id = ? ORDER BY rowid")
      .all(containerId)
      .map((r) => ({ port: r.port, hostIp: r.host_ip, hostPort: r.host_port }));
  }

  /** Every container's published ports. */
  all(): (Published & { containerId: string })[] {
    return this.db
      .query<{ container_id: string; port: string; host_ip: string; host_port: number }, []>("SELECT container_id, port, host_ip, host_port FROM published_ports ORDER BY rowid")
      .all()
      .map((r) => ({ containerId: r.container_id, port: r.port, hostIp: r.host_ip, hostPort: r.host_port }));
  }

  isListening(containerId: string): boolean {
    return this.listeners.has(containerId);
  }

  closeAll(): void {
    for (const ls of this.listeners.values()) for (const l of ls) l.close();
    this.listeners.clear();
    this.targets.clear();
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
