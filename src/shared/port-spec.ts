// `-p [ip:][hostPort[-end]:]containerPort[-end][/proto]` and `--expose`, into
// the create body's ExposedPorts and HostConfig.PortBindings, with the
// wording of Docker's parser (go-connections/nat) for what it refuses.

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

const protos = ["tcp", "udp", "sctp"];

/** "80" or "80-90" → [start, end], or undefined when not ports 0–65535 in order. */
export function portRange(s: string): [number, number] | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : a;
  return a <= 65535 && b <= 65535 && a <= b ? [a, b] : undefined;
}

function splitProto(s: string): [string, string] {
  const i = s.lastIndexOf("/");
  return i < 0 ? [s, "tcp"] : [s.slice(0, i), s.slice(i + 1).toLowerCase()];
}

/** One `-p` value → the ports it exposes and their bindings. */
export function parsePortSpec(spec: string): { port: string; binding: PortBinding }[] {
  const [rest, proto] = splitProto(spec);
  if (!protos.includes(proto)) throw new Error(`invalid proto: ${proto}`);
  let ip = "";
  let host = "";
  let container = rest;
  // An IPv6 host address is written in brackets: [::1]:8080:80.
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(rest);
  const parts = v6 ? [v6[1]!, ...v6[2]!.split(":")] : rest.split(":");
  if (parts.length === 2) [host, container] = parts as [string, string];
  else if (parts.length === 3) [ip, host, container] = parts as [string, string, string];
  else if (parts.length > 3) throw new Error(`invalid port format: ${spec}`);
  if (ip && !/^(\d{1,3}\.){3}\d{1,3}$/.test(ip) && !(v6 && ip.includes(":"))) throw new Error(`invalid IP address: ${ip}`);
  if (!container) throw new Error(`no port specified: ${spec}<empty>`);
  const c = portRange(container);
  if (!c) throw new Error(`invalid containerPort: ${container}`);
  const h = host ? portRange(host) : undefined;
  if (host && !h) throw new Error(`invalid hostPort: ${host}`);
  const count = c[1] - c[0];
  if (h && count !== 0 && h[1] - h[0] !== count) throw new Error(`invalid ranges specified for container and host Ports: ${container} and ${host}`);
  const out: { port: string; binding: PortBinding }[] = [];
  for (let i = 0; i <= count; i++) {
    // One container port with a host range: the range is where to pick a free port.
    const hostPort = !h ? "" : count === 0 ? host : String(h[0] + i);
    out.push({ port: `${c[0] + i}/${proto}`, binding: { HostIp: ip, HostPort: hostPort } });
  }
  return out;
}

/** `-p` and `--expose` values → ExposedPorts and PortBindings. */
export function portConfig(publish: string[], expose: string[]): { exposed: Record<string, object>; bindings: Record<string, PortBinding[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const e of expose) {
    const [ports, proto] = splitProto(e);
    if (!protos.includes(proto)) throw new Error(`invalid proto: ${proto}`);
    const r = portRange(ports);
    if (!r) throw new Error(`invalid range format for --expose: ${e}, error: invalid syntax`);
    for (let p = r[0]; p <= r[1]; p++) exposed[`${p}/${proto}`] = {};
  }
  for (const spec of publish) {
    for (const { port, binding } of parsePortSpec(spec)) {
      exposed[port] = {};
      (bindings[port] ??= []).push(binding);
    }
  }
  return { exposed, bindings };
}
