// The PORTS column of `ps`: "0.0.0.0:8080->80/tcp, 443/tcp", as docker prints it
// (ordered by container port; an exposed port without a binding alone).
export interface ApiPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export function formatPorts(ports: ApiPort[] | null | undefined): string {
  return [...(ports ?? [])]
    .sort((a, b) => a.PrivatePort - b.PrivatePort || a.Type.localeCompare(b.Type) || (a.PublicPort ?? 0) - (b.PublicPort ?? 0))
    .map((p) => (p.PublicPort ? `${p.IP?.includes(":") ? `[${p.IP}]` : p.IP}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`))
    .join(", ");
}
