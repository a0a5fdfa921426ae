// The networks: the predefined bridge, host and none, user-defined bridge
// networks, and each container's endpoints on them. Containers reach this
// through ContainerNetworking (the engine's hooks); the API through the
// methods named after its endpoints.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import type { Database } from "bun:sqlite";
import { ConflictError, InvalidParameterError, NotFoundError } from "../../errors.ts";
import { pruneFilter } from "../prune-filter.ts";
import { hasProcess, type ContainerRecord } from "../containers/records.ts";
import type { ContainerNetworking, CreatePlan } from "../containers/network-hooks.ts";
import type { ContainerPaths } from "../containers/views.ts";
import type { JoinedNetwork } from "../containers/network-mode.ts";
import { createNetns, removeNetns } from "../../network/netns.ts";
import { ensureBridge, freeIfname, linkAddresses, linkExists, removeLink, routedPrefixes, setDefaultRoutes } from "../../network/bridge.ts";
import { ipBytes, mask, overlaps, parseIP, parsePrefix, formatIP, formatPrefix, type Prefix } from "../../network/ip.ts";
import { firstHost, pickSubnet } from "../../network/ipam.ts";
import { rfc3339Nano } from "../../image/config.ts";
import { hasIpamConfig, NetworkRecords, type Attachment, type EndpointConfig, type NetworkRecord } from "./records.ts";
import { bridgeNameOption, bridgeOf, buildNetwork, ForbiddenError, mtuOption, newId } from "./create.ts";
import { checkRequested, gatewaysOf, poolsOf, releaseEndpoint, startEndpoint, stopEndpoint } from "./endpoints.ts";
import { ReleasedEndpoints } from "./released.ts";
import { endpointSettings, networkResource } from "./views.ts";
import { hostNameservers, hostsFile, resolvConf } from "./etc-files.ts";
import type { DnsServer } from "../../network/dns/server.ts";
import { checkPortBindings, PortPublisher, portsSummary, portsView, type PortTarget } from "./ports.ts";
import { Firewall } from "./firewall.ts";
import { checkLinks, hostGatewayName, hostsEntry, linkEnv, resolveExtraHosts, splitLink } from "./links.ts";
import { firewallRules } from "./firewall-rules.ts";
import { gatewayNetwork } from "./gateway.ts";

export interface NetworkOptions {
  execRoot: string;
  /** dockerd's --bridge: "none" turns the default bridge off. */
  bridge?: string;
  /** dockerd's --dns: the resolvers containers use (the embedded DNS forwards to them); default: the host's. */
  dns?: string[];
  /** dockerd's --iptables: false leaves nf_tables alone (no NAT; -p through the userland proxy only). */
  iptables?: boolean;
  /** dockerd's --host-gateway-ip: what `--add-host NAME:host-gateway` maps to; default: the default bridge's gateway. */
  hostGatewayIp?: string;
  log(level: string, message: string): void;
}

/** What the networks need to know of containers. */
export interface ContainerLookup {
  find(ref: string): ContainerRecord;
  get(id: string): ContainerRecord | undefined;
  /** Those whose program runs. */
  running(): ContainerRecord[];
}

const predefined = ["bridge", "host", "none"];
export const defaultBridgeName = "berth0";

function predefinedRecord(name: "host" | "none"): NetworkRecord {
  return {
    Name: name, Id: newId(), Created: rfc3339Nano(), Scope: "local", Driver: name === "host" ? "host" : "null", EnableIPv6: false,
    IPAM: { Driver: "default", Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
    ConfigFrom: { Network: "" }, ConfigOnly: false, Options: {}, Labels: {},
  };
}

export class NetworkEngine implements ContainerNetworking {
  readonly records: NetworkRecords;
  containers!: ContainerLookup;
  /** Names on user networks: one listener on each one's IPv4 gateway; loaded with the first such network. */
  private dns?: DnsServer;
  readonly ports: PortPublisher;
  readonly firewall: Firewall;
  /** Stopped containers' veths, until the kernel has taken them with their namespaces. */
  private readonly released = new ReleasedEndpoints();

  constructor(db: Database, readonly opts: NetworkOptions) {
    this.records = new NetworkRecords(db);
    this.ports = new PortPublisher(db);
    this.firewall = new Firewall(opts.iptables !== false, opts.log);
    if (opts.hostGatewayIp !== undefined && !parseIP(opts.hostGatewayIp)) throw new Error(`invalid host-gateway-ip: ${opts.hostGatewayIp} is not an IP address`);
  }

  private upstreams(): string[] {
    return this.opts.dns?.length ? this.opts.dns : hostNameservers();
  }

  get bridgeEnabled(): boolean {
    return this.opts.bridge !== "none";
  }

  /** At daemon start: the predefined networks exist, and so do the bridges of the others and their DNS listeners. */
  async init(): Promise<void> {
    for (const name of ["host", "none"] as const) if (!this.records.byName(name)) this.records.insert(predefinedRecord(name));
    if (this.bridgeEnabled && !this.records.byName("bridge")) {
      try {
        this.records.insert(this.defaultBridgeRecord());
      } catch (e) {
        this.opts.log("warn", `no default bridge network: ${(e as Error).message}`);
      }
    }
    for (const n of this.records.all()) {
      if (n.Driver !== "bridge" || (n.Name === "bridge" && !this.bridgeEnabled)) continue;
      try {
        this.ensureBridgeOf(n);
        await this.listenDns(n);
      } catch (e) {
        this.opts.log("warn", `network ${n.Name}: cannot set up bridge ${bridgeOf(n)}: ${(e as Error).message}`);
      }
    }
  }

  /**
   * 172.17.0.0/16 unless taken. A berth0 that is already there (another daemon's, or one made
   * by hand) is taken as it is, with its address, as dockerd takes an existing docker0.
   */
  private defaultBridgeRecord(): NetworkRecord {
    const existing = linkAddresses(defaultBridgeName)[0];
    let subnet: Prefix | undefined;
    let gateway: bigint;
    if (existing) {
      subnet = { family: 4, base: existing.value & mask(4, existing.bits), bits: existing.bits };
      gateway = existing.value;
    } else {
      const taken = this.takenPrefixes();
      const want = parsePrefix("172.17.0.0/16")!;
      subnet = taken.some((t) => overlaps(t, want)) ? pickSubnet(taken) : want;
      if (!subnet) throw new Error("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
      gateway = firstHost(subnet);
    }
    const n = buildNetwork({ Name: "bridge-default" }, { taken: [], nameTaken: () => false, bridgeTaken: () => false });
    return {
      ...n, Name: "bridge", IPAM: { Driver: "default", Options: null, Config: [{ Subnet: formatPrefix(subnet), Gateway: formatIP(4, gateway) }] },
      Options: {
        "com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.enable_icc": "true",
        "com.docker.network.bridge.enable_ip_masquerade": "true", "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
        [bridgeNameOption]: defaultBridgeName, [mtuOption]: "1500",
      },
    };
  }

  /** The embedded DNS's address on a user network (its IPv4 gateway), or undefined. */
  private dnsAddress(n: NetworkRecord): string | undefined {
    if (n.Name === "bridge" || n.Driver !== "bridge") return undefined;
    return n.IPAM.Config.find((c) => parsePrefix(c.Subnet)?.family === 4)?.Gateway;
  }

  private async listenDns(n: NetworkRecord): Promise<void> {
    const a = this.dnsAddress(n);
    if (!a) return;
    const { DnsServer } = await import("../../network/dns/server.ts");
    this.dns ??= new DnsServer((local, client, name) => this.resolve(local, client, name), () => this.upstreams());
    await this.dns.listen(a);
  }

  close(): void {
    this.dns?.closeAll();
    this.ports.closeAll();
    this.released.close();
  }

  /** berth's nf_tables table made equal to the networks and published ports of now. */
  private syncFirewall(): void {
    this.firewall.sync(() =>
      firewallRules(this.visible(), (id) => {
        const a = this.gatewayAttachment(id);
        const n = a && this.records.get(a.networkId);
        return n && { bridge: bridgeOf(n), v4: a.ipv4, v6: a.ipv6 };
      }, this.ports.all()),
    );
  }

  /** The container's live endpoint on the network that gives it its gateway (gateway.ts), if one does. */
  private gatewayAttachment(containerId: string): Attachment | undefined {
    const active = this.records.attachmentsOf(containerId).filter((a) => a.endpointId && a.ipv4);
    const n = gatewayNetwork(active.map((a) => this.records.get(a.networkId)).filter((x): x is NetworkRecord => !!x), priorityIn(active));
    return n && active.find((a) => a.networkId === n.Id);
  }

  /**
   * After a connect or a disconnect of a running container: its default route and its published
   * ports follow the network that gives the gateway now; with none left, nothing is published.
   */
  private async followGateway(c: ContainerRecord): Promise<void> {
    const gw = this.gatewayAttachment(c.id);
    const n = gw && this.records.get(gw.networkId);
    setDefaultRoutes(this.nsPath(c.id), n ? gatewaysOf(n) : []);
    if (!gw) {
      if (this.ports.unpublish(c.id)) this.syncFirewall();
      return;
    }
    if (this.ports.isListening(c.id)) this.ports.retarget(c.id, portTarget(gw));
    else await this.ports.publish(c, portTarget(gw), gw.endpointId!);
    this.syncFirewall();
  }

  /** After a daemon restart: running containers' published ports answer again, and the firewall is rebuilt. */
  async restore(): Promise<void> {
    for (const c of this.containers.running()) {
      const published = this.ports.published(c.id);
      const gw = this.gatewayAttachment(c.id);
      if (!published.length || !gw || this.ports.isListening(c.id)) continue;
      try {
        await this.ports.publish(c, portTarget(gw), gw.endpointId!, published);
      } catch (e) {
        this.opts.log("warn", `container ${c.name}: cannot publish its ports again: ${(e as Error).message}`);
      }
    }
    this.syncFirewall();
  }

  /**
   * A name asked on the listener at `local` by the container at `client`:
   * the running containers of the networks the asker is on (or of the
   * listener's network), by name, alias, short or full ID, or NAME.NETWORK.
   */
  private resolve(local: string, client: string, name: string): { v4: Buffer[]; v6: Buffer[] } | undefined {
    const networks = this.records.all().filter((n) => n.Name !== "bridge" && n.Driver === "bridge");
    const here = networks.find((n) => this.dnsAddress(n) === local);
    if (!here) return undefined;
    const asker = this.records.attachmentsOn(here.Id).find((a) => a.ipv4 === client || a.ipv6 === client)?.containerId;
    const scope = asker ? networks.filter((n) => this.records.attachmentsOf(asker).some((a) => a.networkId === n.Id)) : [here];
    const v4: Buffer[] = [];
    const v6: Buffer[] = [];
    // A link of the asker's on this network: its alias stands for the linked container's name.
    const linked = asker && this.records.attachmentsOf(asker).find((a) => a.networkId === here.Id)?.config.Links?.map(splitLink).find((l) => l.alias.toLowerCase() === name);
    if (linked) name = linked.name.toLowerCase();
    for (const n of scope) {
      for (const a of this.records.attachmentsOn(n.Id)) {
        if (!a.endpointId) continue;
        const c = this.containers.get(a.containerId);
        if (!c) continue;
        const names = [c.name, c.id.slice(0, 12), c.id, ...(a.config.Aliases ?? [])].map((x) => x.toLowerCase());
        if (!names.includes(name) && !names.some((x) => `${x}.${n.Name.toLowerCase()}` === name)) continue;
        if (a.ipv4) v4.push(ipBytes(4, parseIP(a.ipv4)!.value));
        if (a.ipv6) v6.push(ipBytes(6, parseIP(a.ipv6)!.value));
      }
    }
    return v4.length || v6.length ? { v4, v6 } : undefined;
  }

  private ensureBridgeOf(n: NetworkRecord): void {
    const addresses = poolsOf(n).filter((p) => p.gateway !== undefined).map((p) => ({ family: p.family, value: p.gateway!, bits: p.subnet.bits }));
    ensureBridge({ name: bridgeOf(n), addresses, mtu: n.Options[mtuOption] ? Number(n.Options[mtuOption]) : undefined });
  }

  private takenPrefixes() {
    const ours = new Set(this.records.all().map(bridgeOf));
    const routes = (() => {
      try {
        return routedPrefixes();
      } catch {
        return [];
      }
    })();
    const subnets = this.records.all().flatMap((n) => n.IPAM.Config.map((c) => parsePrefix(c.Subnet)!));
    void ours;
    return [...routes, ...subnets];
  }

  // ---- the API ----

  async create(body: Record<string, any>): Promise<{ Id: string; Warning: string }> {
    const n = buildNetwork(body, {
      taken: this.takenPrefixes(),
      nameTaken: (name) => this.records.byName(name) !== undefined,
      bridgeTaken: (name) => this.records.all().some((o) => bridgeOf(o) === name) || linkExists(name),
    });
    this.ensureBridgeOf(n);
    try {
      await this.listenDns(n);
      this.records.insert(n);
    } catch (e) {
      const a = this.dnsAddress(n);
      if (a) this.dns?.close(a);
      removeLink(bridgeOf(n));
      throw e;
    }
    this.syncFirewall();
    return { Id: n.Id, Warning: "" };
  }

  find(ref: string): NetworkRecord {
    if (ref === "bridge" && !this.bridgeEnabled) throw new NotFoundError(`network ${ref} not found`);
    return this.records.find(ref);
  }

  /** The networks that exist for the API: the default bridge only while it is on. */
  visible(): NetworkRecord[] {
    return this.records.all().filter((n) => n.Name !== "bridge" || this.bridgeEnabled);
  }

  inspect(ref: string): Record<string, unknown> {
    const n = this.find(ref);
    const containers: Record<string, unknown> = {};
    for (const a of this.records.attachmentsOn(n.Id)) {
      if (!a.endpointId) continue;
      const c = this.containers.get(a.containerId);
      const v4 = poolsOf(n).find((p) => p.family === 4);
      const v6 = poolsOf(n).find((p) => p.family === 6);
      containers[a.containerId] = {
        Name: c?.name ?? "", EndpointID: a.endpointId, MacAddress: a.mac ?? "",
        IPv4Address: a.ipv4 && v4 ? `${a.ipv4}/${v4.subnet.bits}` : "", IPv6Address: a.ipv6 && v6 ? `${a.ipv6}/${v6.subnet.bits}` : "",
      };
    }
    return networkResource(n, containers);
  }

  list(filters: Record<string, string[]> = {}): Record<string, unknown>[] {
    for (const k of Object.keys(filters)) {
      if (!["name", "id", "driver", "label", "type", "scope", "dangling"].includes(k)) throw new InvalidParameterError(`invalid filter '${k}'`);
    }
    return this.visible()
      .filter((n) => this.matches(n, filters))
      .map((n) => ({ ...networkResource(n, {}) }));
  }

  private matches(n: NetworkRecord, f: Record<string, string[]>): boolean {
    const any = (k: string, test: (v: string) => boolean) => !f[k]?.length || f[k]!.some(test);
    return (
      any("name", (v) => n.Name.includes(v)) &&
      any("id", (v) => n.Id.startsWith(v)) &&
      any("driver", (v) => n.Driver === v) &&
      any("scope", (v) => v === "local") &&
      any("type", (v) => (v === "builtin" ? predefined.includes(n.Name) : v === "custom" ? !predefined.includes(n.Name) : false)) &&
      any("label", (v) => {
        const i = v.indexOf("=");
        return i < 0 ? v in n.Labels : n.Labels[v.slice(0, i)] === v.slice(i + 1);
      }) &&
      any("dangling", (v) => (v === "true" || v === "1") === (!predefined.includes(n.Name) && !this.records.attachmentsOn(n.Id).length))
    );
  }

  remove(ref: string): void {
    const n = this.find(ref);
    if (predefined.includes(n.Name)) throw new ForbiddenError(`${n.Name} is a pre-defined network and cannot be removed`);
    if (this.records.attachmentsOn(n.Id).some((a) => a.endpointId)) {
      throw new ForbiddenError(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints`);
    }
    this.records.remove(n.Id);
    const a = this.dnsAddress(n);
    if (a) this.dns?.close(a);
    try {
      removeLink(bridgeOf(n));
    } catch (e) {
      this.opts.log("warn", `network ${n.Name}: removing bridge ${bridgeOf(n)}: ${(e as Error).message}`);
    }
    this.syncFirewall();
  }

  prune(filters: Record<string, string[]> = {}): { NetworksDeleted: string[] } {
    const filter = pruneFilter(filters, ["label", "label!", "until"]);
    const deleted: string[] = [];
    for (const n of this.visible()) {
      // In use: a running container's endpoint is on it (created and stopped ones do not count, as in Docker).
      if (predefined.includes(n.Name) || this.records.attachmentsOn(n.Id).some((a) => a.endpointId)) continue;
      if (!filter.matches(Date.parse(n.Created) / 1000, n.Labels)) continue;
      this.remove(n.Id);
      deleted.push(n.Name);
    }
    return { NetworksDeleted: deleted };
  }

  async connect(ref: string, containerRef: string, config: EndpointConfig = {}): Promise<void> {
    const n = this.find(ref);
    const c = this.containers.find(containerRef);
    const mode = String(c.hostConfig.NetworkMode);
    if (n.Name === "host" || n.Name === "none" || mode === "host") {
      throw new ForbiddenError("container cannot be disconnected from host network or connected to host network");
    }
    if (mode === "none" || mode.startsWith("container:")) throw new ForbiddenError(`container sharing network namespace with another container or host cannot be connected to any other network`);
    if (this.records.attachmentsOf(c.id).some((a) => a.networkId === n.Id)) throw new ForbiddenError(`endpoint with name ${c.name} already exists in network ${n.Name}`);
    this.checkEndpoint(n, config);
    this.records.attach(c.id, n.Id, config);
    if (!hasProcess(c.state)) return;
    const a = this.records.attachmentsOf(c.id).find((x) => x.networkId === n.Id)!;
    let filled: Attachment | undefined;
    try {
      filled = startEndpoint(this.records, n, a, this.nsPath(c.id), freeIfname(this.nsPath(c.id)), false, this.released);
      await this.followGateway(c);
      this.rewriteHosts(c, [filled]);
    } catch (e) {
      if (filled) stopEndpoint(this.records, filled);
      this.records.detach(c.id, n.Id);
      await this.followGateway(c).catch(() => {}); // back as it was: the new endpoint is gone
      throw e;
    }
  }

  async disconnect(ref: string, containerRef: string, _force = false): Promise<void> {
    const n = this.find(ref);
    const c = this.containers.find(containerRef);
    if (n.Name === "host" || String(c.hostConfig.NetworkMode) === "host") throw new ForbiddenError("container cannot be disconnected from host network or connected to host network");
    const a = this.records.attachmentsOf(c.id).find((x) => x.networkId === n.Id);
    if (!a) throw new ForbiddenError(`container ${c.id} is not connected to network ${n.Name}`);
    if (a.endpointId) stopEndpoint(this.records, a);
    this.records.detach(c.id, n.Id);
    if (hasProcess(c.state) && existsSync(this.nsPath(c.id))) await this.followGateway(c);
  }

  private checkEndpoint(n: NetworkRecord, config: EndpointConfig): void {
    const userNet = n.Name !== "bridge";
    if (!userNet && config.Aliases?.length) throw new InvalidParameterError("network-scoped alias is supported only for containers in user defined networks");
    if (!userNet && (config.IPAMConfig?.IPv4Address || config.IPAMConfig?.IPv6Address)) {
      throw new InvalidParameterError("user specified IP address is supported on user defined networks only");
    }
    checkRequested(n, config.IPAMConfig);
    if (config.MacAddress && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(config.MacAddress)) throw new InvalidParameterError(`invalid MAC address: ${config.MacAddress}`);
  }

  // ---- the container engine's hooks ----

  planCreate(hostConfig: Record<string, any>, _config: Record<string, any>, networkingConfig: Record<string, any> | undefined): CreatePlan {
    const asMode = String(hostConfig.NetworkMode || "default");
    let mode = asMode;
    if (mode === "default") mode = this.bridgeEnabled ? "bridge" : "none";
    if (mode === "bridge" && !this.bridgeEnabled) mode = "none";
    const plan: CreatePlan = { attach: () => {}, warnings: [] };
    checkPortBindings(hostConfig);
    const publishes = Object.keys(hostConfig.PortBindings ?? {}).length > 0 || !!hostConfig.PublishAllPorts;
    if (mode.startsWith("container:") && publishes) throw new InvalidParameterError("conflicting options: port publishing and the container type network mode");
    if (mode === "host" && publishes) plan.warnings.push("Published ports are discarded when using host network mode");
    const links = checkLinks(hostConfig.Links, mode, (name) => this.containers.find(name));
    if ((hostConfig.ExtraHosts ?? []).some((h: string) => hostsEntry(h)?.ip === hostGatewayName) && !this.hostGateway()) {
      throw new InvalidParameterError("unable to derive the IP value for host-gateway");
    }
    if (mode === "host" || mode === "none" || mode.startsWith("container:")) {
      hostConfig.NetworkMode = mode;
      return plan;
    }
    const primary = this.find(mode);
    hostConfig.NetworkMode = mode;
    const asked: Record<string, EndpointConfig> = networkingConfig?.EndpointsConfig ?? {};
    const chosen: [NetworkRecord, EndpointConfig][] = [];
    // The docker CLI names the endpoint of the network mode as it was given ("default" among them).
    const byNet = (n: NetworkRecord) =>
      asked[n.Name] ?? asked[n.Id] ?? (n.Id === primary.Id ? asked[asMode] : undefined) ?? Object.entries(asked).find(([k]) => n.Id.startsWith(k) && k.length >= 12)?.[1] ?? {};
    // Links on a user network are names its DNS answers for this container alone, as with dockerd.
    chosen.push([primary, primary.Name !== "bridge" && links.length ? { ...byNet(primary), Links: [...(byNet(primary).Links ?? []), ...links] } : byNet(primary)]);
    for (const key of Object.keys(asked)) {
      if (key === asMode) continue;
      const n = this.find(key);
      if (n.Id === primary.Id) continue;
      if (n.Driver !== "bridge") throw new InvalidParameterError(`container cannot be connected to network ${n.Name} and to ${primary.Name}`);
      chosen.push([n, asked[key]!]);
    }
    for (const [n, cfg] of chosen) this.checkEndpoint(n, cfg);
    plan.attach = (id) => {
      for (const [n, cfg] of chosen) this.records.attach(id, n.Id, endpointConfigOf(cfg));
    };
    return plan;
  }

  /**
   * The network of a build's RUN steps, from its networkmode: the default bridge when there is
   * one (else the host's, as before networks existed), or the one named, which must exist.
   */
  buildNetwork(mode: string | undefined): string {
    if (!mode || mode === "default") return this.bridgeEnabled ? "bridge" : "host";
    if (mode === "host" || mode === "none") return mode;
    if (mode.startsWith("container:")) throw new InvalidParameterError(`network mode "${mode}" is not supported for builds`);
    return this.find(mode).Name;
  }

  nsPath(containerId: string): string {
    return join(this.opts.execRoot, "netns", containerId);
  }

  async atStart(c: ContainerRecord, p: ContainerPaths): Promise<JoinedNetwork | undefined> {
    const attachments = this.records.attachmentsOf(c.id);
    if (!attachments.length) return undefined;
    const nsPath = this.nsPath(c.id);
    removeNetns(nsPath);
    for (const a of attachments) if (a.endpointId) stopEndpoint(this.records, a);
    createNetns(nsPath);
    const started: Attachment[] = [];
    try {
      const networks = attachments.map((a) => {
        const n = this.records.get(a.networkId);
        if (!n) throw new NotFoundError(`network ${a.networkId} not found`);
        if (n.Name === "bridge" && !this.bridgeEnabled) throw new NotFoundError("network bridge not found");
        return n;
      });
      const gateway = gatewayNetwork(networks, priorityIn(attachments));
      for (const [i, a] of attachments.entries()) started.push(startEndpoint(this.records, networks[i]!, a, nsPath, `eth${i}`, networks[i] === gateway, this.released));
      this.writeEtc(c, p, started);
      const gw = gateway && started.find((a) => a.networkId === gateway.Id && a.ipv4);
      if (gw && (await this.ports.publish(c, portTarget(gw), gw.endpointId!)).length) this.syncFirewall();
    } catch (e) {
      for (const a of started) stopEndpoint(this.records, a);
      removeNetns(nsPath);
      throw e;
    }
    // Through the daemon's root: a standby stage 2 made its mount namespace before this bind mount
    // existed, and does not see it under its own name.
    const env = this.linkEnvOn(c, started);
    return { network: `/proc/${process.pid}/root${nsPath}`, etcFiles: { hostname: p.hostnamePath, hosts: p.hostsPath, resolvConf: p.resolvConfPath }, env };
  }

  linkEnv(c: ContainerRecord): string[] {
    return this.linkEnvOn(c, this.records.attachmentsOf(c.id).filter((a) => a.endpointId));
  }

  /** Docker's variables of the container's legacy links (links.ts), given its live endpoints. */
  private linkEnvOn(c: ContainerRecord, attached: Attachment[]): string[] {
    return this.legacyLinks(c, attached).flatMap(({ alias, child, ip }) => linkEnv(`/${c.name}/${alias}`, ip, Object.keys(child.config.ExposedPorts ?? {}), child.config.Env ?? []));
  }

  private paths = new Map<string, ContainerPaths>();

  private writeEtc(c: ContainerRecord, p: ContainerPaths, started: Attachment[]): void {
    this.paths.set(c.id, p);
    const hc = c.hostConfig;
    writeFileSync(p.hostsPath, hostsFile(c.config.Hostname, started.map((a) => a.ipv4 ?? a.ipv6!).filter(Boolean), this.extraHosts(c, started)));
    // On a user network the embedded DNS answers (and forwards --dns or the daemon's resolvers); elsewhere the resolvers are the container's.
    const embedded = started.map((a) => this.records.get(a.networkId)).map((n) => n && this.dnsAddress(n)).find(Boolean);
    const dns = embedded ? undefined : hc.Dns?.length ? hc.Dns : this.opts.dns;
    writeFileSync(p.resolvConfPath, resolvConf({ dns, dnsSearch: hc.DnsSearch, dnsOptions: hc.DnsOptions }, embedded));
  }

  /** The default bridge's gateway, or the daemon's --host-gateway-ip. */
  hostGateway(): string | undefined {
    if (this.opts.hostGatewayIp) return this.opts.hostGatewayIp;
    const bridge = this.bridgeEnabled ? this.records.byName("bridge") : undefined;
    return bridge?.IPAM.Config.find((c) => parsePrefix(c.Subnet)?.family === 4)?.Gateway;
  }

  /**
   * /etc/hosts' extra lines: --add-host (host-gateway made an address) and, on the default
   * bridge, each legacy link as "alias hostname name" of the linked container's address.
   */
  private extraHosts(c: ContainerRecord, attached: Attachment[]): string[] {
    const out = resolveExtraHosts(c.hostConfig.ExtraHosts, this.hostGateway());
    for (const { alias, child, ip } of this.legacyLinks(c, attached)) {
      const names = [alias, child.config.Hostname, ...(alias !== child.name ? [child.name] : [])];
      out.push(`${names.join(" ")}:${ip}`);
    }
    return out;
  }

  /** The links of a container on the default bridge, each to a running container there and its address. */
  private legacyLinks(c: ContainerRecord, attached: Attachment[]): { alias: string; child: ContainerRecord; ip: string }[] {
    const bridge = this.records.byName("bridge");
    if (!bridge || !attached.some((a) => a.networkId === bridge.Id)) return [];
    return (c.hostConfig.Links ?? []).flatMap((link: string) => {
      const { name, alias } = splitLink(link);
      // A linked container removed since takes its link with it, as dockerd's link index forgets it.
      const child = this.linkedByName(name);
      if (!child) return [];
      const ip = this.records.attachmentsOf(child.id).find((a) => a.networkId === bridge.Id && a.endpointId)?.ipv4;
      if (!hasProcess(child.state) || !ip) throw new InvalidParameterError(`Cannot link to a non running container: /${child.name} AS /${c.name}/${alias}`);
      return [{ alias, child, ip }];
    });
  }

  private linkedByName(name: string): ContainerRecord | undefined {
    try {
      return this.containers.find(name);
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  /** A network connected live: its address joins /etc/hosts. */
  private rewriteHosts(c: ContainerRecord, _added: Attachment[]): void {
    const p = this.paths.get(c.id);
    if (!p || !existsSync(p.hostsPath)) return;
    const all = this.records.attachmentsOf(c.id).filter((a) => a.endpointId);
    writeFileSync(p.hostsPath, hostsFile(c.config.Hostname, all.map((a) => a.ipv4 ?? a.ipv6!).filter(Boolean), this.extraHosts(c, all)));
  }

  atStop(c: ContainerRecord): void {
    if (this.ports.unpublish(c.id)) this.syncFirewall();
    for (const a of this.records.attachmentsOf(c.id)) if (a.endpointId) releaseEndpoint(this.records, a, this.released);
    removeNetns(this.nsPath(c.id));
  }

  settings(c: ContainerRecord): Record<string, unknown> {
    const networks: Record<string, unknown> = {};
    let primary: Record<string, any> | undefined;
    const mode = String(c.hostConfig.NetworkMode);
    for (const a of this.records.attachmentsOf(c.id)) {
      const n = this.records.get(a.networkId);
      if (!n) continue;
      const e = endpointSettings(n, a, c);
      networks[n.Name] = e;
      if (n.Name === "bridge") primary = e;
    }
    if (mode === "host" || mode === "none") {
      const n = this.records.byName(mode);
      if (n) networks[mode] = endpointSettings(n, { containerId: c.id, networkId: n.Id, seq: 0, config: {} }, c);
    }
    const running = hasProcess(c.state) && existsSync(this.nsPath(c.id));
    return {
      Bridge: "", SandboxID: running ? c.id : "", SandboxKey: running ? this.nsPath(c.id) : "",
      Ports: hasProcess(c.state) ? portsView(c, this.ports.published(c.id)) : {}, HairpinMode: false,
      LinkLocalIPv6Address: "", LinkLocalIPv6PrefixLen: 0, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
      EndpointID: primary?.EndpointID ?? "", Gateway: primary?.Gateway ?? "", GlobalIPv6Address: primary?.GlobalIPv6Address ?? "",
      GlobalIPv6PrefixLen: primary?.GlobalIPv6PrefixLen ?? 0, IPAddress: primary?.IPAddress ?? "", IPPrefixLen: primary?.IPPrefixLen ?? 0,
      IPv6Gateway: primary?.IPv6Gateway ?? "", MacAddress: primary?.MacAddress ?? "",
      Networks: networks,
    };
  }

  summary(c: ContainerRecord): { Ports: unknown[]; NetworkSettings: Record<string, unknown> } {
    const ports = hasProcess(c.state) ? portsSummary(c, this.ports.published(c.id)) : [];
    return { Ports: ports, NetworkSettings: { Networks: (this.settings(c) as { Networks: unknown }).Networks } };
  }
}

/** The gw-priority each network's endpoint among `attachments` asked for. */
function priorityIn(attachments: Attachment[]): (n: NetworkRecord) => number {
  return (n) => attachments.find((a) => a.networkId === n.Id)?.config.GwPriority ?? 0;
}

/** Where published ports lead on the endpoint `a`. */
function portTarget(a: Attachment): PortTarget {
  return { v4: a.ipv4!, v6: a.ipv6 };
}

function endpointConfigOf(cfg: Record<string, any>): EndpointConfig {
  const out: EndpointConfig = {};
  if (cfg.Aliases?.length) out.Aliases = cfg.Aliases;
  if (hasIpamConfig(cfg.IPAMConfig)) out.IPAMConfig = cfg.IPAMConfig;
  if (cfg.MacAddress) out.MacAddress = cfg.MacAddress;
  if (cfg.Links?.length) out.Links = cfg.Links;
  if (cfg.DriverOpts && Object.keys(cfg.DriverOpts).length) out.DriverOpts = cfg.DriverOpts;
  if (typeof cfg.GwPriority === "number" && cfg.GwPriority !== 0) out.GwPriority = cfg.GwPriority;
  return out;
}

