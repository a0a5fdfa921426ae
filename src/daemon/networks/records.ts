// Networks and their container attachments in the metadata database. An
// attachment is made when a container is created on (or connected to) a
// network; its address, MAC and veth are filled while the container runs, and
// a unique index keeps an address from being handed out twice.
import type { Database } from "bun:sqlite";
import { NotFoundError } from "../../errors.ts";
import { withoutSync } from "../../store/db.ts";

/** The stored part of Docker's NetworkResource (Containers is computed). */
export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: "local";
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export interface IpamConfig {
  Subnet: string;
  Gateway?: string;
  IPRange?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** What the client asked for a container on a network (Docker's EndpointSettings, the asked part). */
export interface EndpointConfig {
  Aliases?: string[] | null;
  /** LinkLocalIPs: more addresses on the container's interface, each a host route of its own (as dockerd adds them). */
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] | null } | null;
  MacAddress?: string;
  Links?: string[] | null;
  DriverOpts?: Record<string, string> | null;
  /** Which network gives the gateway: the highest (API 1.48). */
  GwPriority?: number;
}

/** Whether an endpoint's IPAMConfig asks for anything (inspect shows null otherwise, as dockerd does). */
export function hasIpamConfig(c: EndpointConfig["IPAMConfig"]): boolean {
  return !!(c && (c.IPv4Address || c.IPv6Address || c.LinkLocalIPs?.length));
}

export interface Attachment {
  containerId: string;
  networkId: string;
  seq: number;
  config: EndpointConfig;
  endpointId?: string;
  ipv4?: string;
  ipv6?: string;
  mac?: string;
  hostVeth?: string;
}

interface AttachmentRow {
  container_id: string;
  network_id: string;
  seq: number;
  config: string;
  endpoint_id: string | null;
  ipv4: string | null;
  ipv6: string | null;
  mac: string | null;
  host_veth: string | null;
}

const fromRow = (r: AttachmentRow): Attachment => ({
  containerId: r.container_id, networkId: r.network_id, seq: r.seq, config: JSON.parse(r.config),
  endpointId: r.endpoint_id ?? undefined, ipv4: r.ipv4 ?? undefined, ipv6: r.ipv6 ?? undefined,
  mac: r.mac ?? undefined, hostVeth: r.host_veth ?? undefined,
});

export class NetworkRecords {
  constructor(readonly db: Database) {}

  all(): NetworkRecord[] {
    return this.db.query<{ body: string }, []>("SELECT body FROM networks").all().map((r) => JSON.parse(r.body));
  }

  get(id: string): NetworkRecord | undefined {
    const r = this.db.query<{ body: string }, [string]>("SELECT body FROM networks WHERE id = ?").get(id);
    return r ? JSON.parse(r.body) : undefined;
  }

  byName(name: string): NetworkRecord | undefined {
    const r = this.db.query<{ body: string }, [string]>("SELECT body FROM networks WHERE name = ?").get(name);
    return r ? JSON.parse(r.body) : undefined;
  }

  /** Docker's lookup order: full ID, exact name, then unique ID prefix. */
  find(ref: string): NetworkRecord {
    const exact = this.get(ref) ?? this.byName(ref);
    if (exact) return exact;
    if (/^[0-9a-f]+$/.test(ref)) {
      const rows = this.db.query<{ body: string }, [string]>("SELECT body FROM networks WHERE id LIKE ? LIMIT 2").all(`${ref}%`);
      if (rows.length === 1) return JSON.parse(rows[0]!.body);
    }
    throw new NotFoundError(`network ${ref} not found`);
  }

  insert(n: NetworkRecord): void {
    this.db.query("INSERT INTO networks (id, name, body) VALUES (?, ?, ?)").run(n.Id, n.Name, JSON.stringify(n));
  }

  remove(id: string): void {
    this.db.transaction(() => {
      this.db.query("DELETE FROM network_attachments WHERE network_id = ?").run(id);
      this.db.query("DELETE FROM networks WHERE id = ?").run(id);
    })();
  }

  attachmentsOf(containerId: string): Attachment[] {
    return this.db.query<AttachmentRow, [string]>("SELECT * FROM network_attachments WHERE container_id = ? ORDER BY seq").all(containerId).map(fromRow);
  }

  attachmentsOn(networkId: string): Attachment[] {
    return this.db.query<AttachmentRow, [string]>("SELECT * FROM network_attachments WHERE network_id = ? ORDER BY seq").all(networkId).map(fromRow);
  }

  attach(containerId: string, networkId: string, config: EndpointConfig): void {
    const next = this.db.query<{ n: number | null }, [string]>("SELECT MAX(seq) AS n FROM network_attachments WHERE container_id = ?").get(containerId)?.n;
    this.db.query("INSERT INTO network_attachments (container_id, network_id, seq, config) VALUES (?, ?, ?, ?)").run(containerId, networkId, (next ?? -1) + 1, JSON.stringify(config));
  }

  detach(containerId: string, networkId: string): void {
    this.db.query("DELETE FROM network_attachments WHERE container_id = ? AND network_id = ?").run(containerId, networkId);
  }

  /**
   * Records a running endpoint; fails (UNIQUE) when the address is someone else's. Not synced on
   * its own, like the container's state: a row lost with the machine's power names an endpoint
   * whose namespace went with it, and a start clears what it finds.
   */
  setEndpoint(a: Attachment): void {
    withoutSync(this.db, () =>
      this.db
        .query("UPDATE network_attachments SET endpoint_id = ?, ipv4 = ?, ipv6 = ?, mac = ?, host_veth = ? WHERE container_id = ? AND network_id = ?")
        .run(a.endpointId ?? null, a.ipv4 ?? null, a.ipv6 ?? null, a.mac ?? null, a.hostVeth ?? null, a.containerId, a.networkId),
    );
  }

  clearEndpoint(containerId: string, networkId: string): void {
    this.setEndpoint({ containerId, networkId, seq: 0, config: {} });
  }

  /** Addresses in use on a network. */
  usedAddresses(networkId: string): string[] {
    return this.db
      .query<{ a: string }, [string, string]>("SELECT ipv4 AS a FROM network_attachments WHERE network_id = ? AND ipv4 IS NOT NULL UNION SELECT ipv6 FROM network_attachments WHERE network_id = ? AND ipv6 IS NOT NULL")
      .all(networkId, networkId)
      .map((r) => r.a);
  }
}
