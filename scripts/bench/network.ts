// Networks: TCP throughput between two containers over the bridge, through a
// published port (the userland proxy, and berth's DNAT), connections per second
// through a published port, and what a bridge adds to a container's start,
// for berth and dockerd (with its docker0 and docker-proxy) side by side in one
// network namespace made here, so that no packet leaves it. The floor is a
// veth pair made by hand between two more namespaces; beside it, a bridge made
// by hand in the bench's namespace, which pays what any bridge there pays. Bytes and connections
// are counted by tcp-meter (tcp-meter.c, built static here and put into the
// busybox image both engines run), which times delivery, not local buffers.
import { $ } from "bun";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { busyboxRootfsTar, startDaemon, type TestDaemon } from "../../tests/fixtures/daemon.ts";
import { must, startDockerd, type Engine } from "./_engines.ts";
import { interleaved, median } from "./_rounds.ts";
import { parentOf, processCpuMs } from "./_usage.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS) || 7;
const START_ROUNDS = ROUNDS * 3; // a start is short and the host's noise large
const BYTES = 256 * 1024 * 1024;
const CONNS = 300;
const PORT = 5001;
const hostAddr = "10.233.0.1"; // an address of the namespace outside 127/8 (on lo: this kernel has no dummy links), where DNAT applies
const dockerBridge = "10.231.0.1/24";
const floorAddr = { client: "10.232.0.1", server: "10.232.0.2" };
const handBridgeAddr = { client: "10.234.0.2", server: "10.234.0.3" };

const here = new URL(".", import.meta.url).pathname;

/** A command that exits 0 or throws with its output. */
async function sh(cmd: string[]): Promise<string> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")}: ${(err || out).trim()}`);
  return out.trim();
}

interface Measure {
  bytes: number;
  seconds: number;
  /** The client address the server saw. */
  from: string;
}

const parse = (out: string): Measure => {
  const [n, s, from] = out.trim().split(/\s+/);
  const m = { bytes: Number(n), seconds: Number(s), from: from ?? "" };
  if (!(m.bytes > 0 && m.seconds > 0)) throw new Error(`tcp-meter said: ${out}`);
  return m;
};

/** Somewhere tcp-meter runs: `args` after the program's name, its output back. */
type Place = (args: string[]) => Promise<string>;

const inNetns = (meter: string, ns: string): Place => (args) => sh(["nsenter", `--net=${ns}`, "--", meter, ...args]);
const inContainer = (e: Engine, id: string): Place => (args) => must(e, ["exec", id, "tcp-meter", ...args]);

/**
 * Where a send's client and server CPU are read too: the client runs under a shell that prints its
 * own /proc stat after, whose cutime and cstime are tcp-meter's; the server is a long-lived
 * process read before and after. Softirq work is charged to the task it interrupts on this kernel
 * (no IRQ time accounting), so the sum holds the path's kernel work as well, and it carries across
 * the host's load where the times do not.
 */
interface Metered {
  /** Runs a command (argv) where the client runs. */
  run: (argv: string[]) => Promise<string>;
  meter: string;
  serverPid: number;
}
const TICK_MS = 1000 / (Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString()) || 100);
/** A shell's waited children's CPU (ms) from its /proc/PID/stat line. */
function waitedCpuMs(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[13]) + Number(f[14])) * TICK_MS; // fields 16 and 17: cutime, cstime
}

/** Until a server answers at host:port from `place` (it starts listening a moment after its container starts). */
async function reachable(place: Place, host: string, port: number): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await place(["conns", host, String(port), "1"]);
      return;
    } catch (e) {
      if (Date.now() > until) throw new Error(`nothing answers at ${host}:${port}: ${(e as Error).message}`);
      await Bun.sleep(100);
    }
  }
}

/** One engine's pair: a server with PORT published on `hostPort`, and an idle client to exec into. */
interface Pair {
  e: Engine;
  serverIp: string;
  /** The server's process on the host. */
  serverPid: number;
  clientId: string;
  gateway: string;
  hostPort: number;
  client: Place;
  /** The process that proxies hostPort: berth's daemon, or dockerd's docker-proxy for it. */
  proxyPid?: number;
}

/** Whether `pid` descends from `root`. */
function under(pid: number, root: number): boolean {
  for (let p: number | undefined = pid; p && p > 1; p = parentOf(p)) if (p === root) return true;
  return false;
}

/** dockerd's docker-proxy process for a host port. */
function dockerProxyOf(dockerd: number, hostPort: number): number | undefined {
  for (const e of readdirSync("/proc")) {
    const pid = Number(e);
    if (!Number.isInteger(pid)) continue;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const at = args.indexOf("-host-port");
      if (basename(args[0] ?? "") === "docker-proxy" && args[at + 1] === String(hostPort) && under(pid, dockerd)) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

async function pairOn(e: Engine, hostPort: number): Promise<Pair> {
  const server = await must(e, ["run", "-d", "-p", `${hostPort}:${PORT}`, "busybox", "tcp-meter", "serve", String(PORT)]);
  const client = await must(e, ["run", "-d", "busybox", "sleep", "3600"]);
  const [serverIp, gateway, serverPid] = (await must(e, ["inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.State.Pid}}", server])).split(" ");
  return { e, serverIp: serverIp!, gateway: gateway!, serverPid: Number(serverPid), clientId: client, hostPort, client: inContainer(e, client) };
}

/** The image both engines run: busybox-static with tcp-meter in /bin. */
async function meterImage(tmp: string): Promise<{ tar: string; meter: string }> {
  const meter = join(tmp, "tcp-meter");
  await sh(["gcc", "-static", "-O2", "-o", meter, join(here, "tcp-meter.c")]);
  busyboxRootfsTar(tmp);
  copyFileSync(meter, join(tmp, "busybox-rootfs/bin/tcp-meter"));
  const tar = join(tmp, "meter.tar");
  await sh(["tar", "-C", join(tmp, "busybox-rootfs"), "-cf", tar, "."]);
  return { tar, meter };
}

interface Namespaces {
  main: string;
  floorClient: string;
  floorServer: string;
  bridgeClient: string;
  bridgeServer: string;
  remove(): Promise<void>;
}

/** The bench's namespace (lo, with hostAddr too); the floor's two, joined by a veth pair; two more on a bridge made by hand in the bench's. */
async function namespaces(id: string): Promise<Namespaces> {
  const names = [`berth-nb-${id}`, `berth-nb-${id}-fa`, `berth-nb-${id}-fb`, `berth-nb-${id}-ba`, `berth-nb-${id}-bb`];
  const remove = async () => {
    for (const n of names) await $`ip netns del ${n}`.nothrow().quiet();
  };
  try {
    for (const n of names) {
      await sh(["ip", "netns", "add", n]);
      await sh(["ip", "-n", n, "link", "set", "lo", "up"]);
    }
    const [main, fa, fb, ba, bb] = names as [string, string, string, string, string];
    await sh(["ip", "-n", main, "addr", "add", `${hostAddr}/32`, "dev", "lo"]);
    await sh(["ip", "-n", fa, "link", "add", "nbf0", "type", "veth", "peer", "name", "nbf1", "netns", fb]);
    await sh(["ip", "-n", fa, "addr", "add", `${floorAddr.client}/30`, "dev", "nbf0"]);
    await sh(["ip", "-n", fb, "addr", "add", `${floorAddr.server}/30`, "dev", "nbf1"]);
    await sh(["ip", "-n", fa, "link", "set", "nbf0", "up"]);
    await sh(["ip", "-n", fb, "link", "set", "nbf1", "up"]);
    await sh(["ip", "-n", main, "link", "add", "nbbr0", "type", "bridge"]);
    await sh(["ip", "-n", main, "link", "set", "nbbr0", "up"]);
    for (const [n, end, addr] of [[ba, "nbba0", handBridgeAddr.client], [bb, "nbbb0", handBridgeAddr.server]] as const) {
      await sh(["ip", "-n", main, "link", "add", end, "type", "veth", "peer", "name", "eth0", "netns", n]);
      await sh(["ip", "-n", main, "link", "set", end, "master", "nbbr0", "up"]);
      await sh(["ip", "-n", n, "addr", "add", `${addr}/24`, "dev", "eth0"]);
      await sh(["ip", "-n", n, "link", "set", "eth0", "up"]);
    }
    const path = (n: string) => `/run/netns/${n}`;
    return { main: path(main), floorClient: path(fa), floorServer: path(fb), bridgeClient: path(ba), bridgeServer: path(bb), remove };
  } catch (e) {
    await remove();
    throw e;
  }
}

const gbits = (m: Measure) => (m.bytes * 8) / m.seconds / 1e9;
const perSec = (m: Measure) => m.bytes / m.seconds; // for conns, "bytes" is the connection count

export async function run(): Promise<string> {
  for (const tool of ["ip", "nsenter", "gcc", "tar"]) if (!Bun.which(tool)) throw new Error(`${tool} is not installed`);
  const ns = await namespaces(Math.random().toString(36).slice(2, 8));
  const tmp = mkdtempSync("/tmp/berth-bench-net-");
  let d: TestDaemon | undefined;
  let dockerd: Engine | string = "not started";
  const floorServers: { kill(): void; pid: number }[] = [];
  try {
    const { tar, meter } = await meterImage(tmp);
    for (const at of [ns.floorServer, ns.bridgeServer]) floorServers.push(Bun.spawn(["nsenter", `--net=${at}`, "--", meter, "serve", String(PORT)], { stdout: "ignore", stderr: "inherit" }));
    const floor = inNetns(meter, ns.floorClient);
    const handBridge = inNetns(meter, ns.bridgeClient);
    const host = inNetns(meter, ns.main);

    d = await startDaemon({ bridge: true, netns: ns.main, logFile: true });
    const berth: Engine = { name: "berth", cli: (a) => d!.cli(a), runFlags: [], stop: async () => {} };
    await must(berth, ["import", tar, "busybox"]);
    dockerd = await startDockerd(tmp, tar, { netns: ns.main, bridgeIp: dockerBridge });
    const engines = typeof dockerd === "string" ? [berth] : [berth, dockerd];
    const info = (await (await fetch("http://localhost/info", { unix: d.socket } as RequestInit)).json()) as { FirewallBackend?: { Driver?: string } };
    const firewall = info.FirewallBackend?.Driver ?? "none";

    const pairs = await Promise.all(engines.map((e, i) => pairOn(e, 15001 + i)));
    pairs[0]!.proxyPid = d.pid;
    if (pairs[1] && typeof dockerd !== "string") pairs[1].proxyPid = dockerProxyOf(dockerd.roots![0]!, pairs[1].hostPort);
    await reachable(floor, floorAddr.server, PORT);
    await reachable(handBridge, handBridgeAddr.server, PORT);
    for (const p of pairs) {
      await reachable(p.client, p.serverIp, PORT);
      await reachable(host, "127.0.0.1", p.hostPort);
    }
    const [b, k] = pairs as [Pair, Pair | undefined];

    // Each contender: where the client runs, where it connects, and for a proxy, whose CPU to count.
    type Contender = { name: string; place: Place; host: string; port: number; cpuPid?: number; metered?: Metered };
    const c2c = (p: Pair): Contender => ({
      name: `${p.e.name} c2c`, place: p.client, host: p.serverIp, port: PORT,
      metered: { run: (argv) => must(p.e, ["exec", p.clientId, ...argv]), meter: "tcp-meter", serverPid: p.serverPid },
    });
    const proxied = (p: Pair): Contender => ({ name: `${p.e.name} proxy`, place: host, host: "127.0.0.1", port: p.hostPort, cpuPid: p.proxyPid });
    const direct: Contender = { name: "direct", place: host, host: b.serverIp, port: PORT };
    const dnat: Contender | undefined = firewall === "nftables" ? { name: "berth DNAT", place: host, host: hostAddr, port: b.hostPort } : undefined;
    const nsRun = (ns: string) => (argv: string[]) => sh(["nsenter", `--net=${ns}`, "--", ...argv]);
    const floorC: Contender = { name: "floor", place: floor, host: floorAddr.server, port: PORT, metered: { run: nsRun(ns.floorClient), meter, serverPid: floorServers[0]!.pid } };
    const handBridgeC: Contender = { name: "hand bridge", place: handBridge, host: handBridgeAddr.server, port: PORT, metered: { run: nsRun(ns.bridgeClient), meter, serverPid: floorServers[1]!.pid } };

    const sendAll = [floorC, handBridgeC, c2c(b), ...(k ? [c2c(k)] : []), proxied(b), ...(k ? [proxied(k)] : []), direct, ...(dnat ? [dnat] : [])];
    const seen = new Map<string, string>();
    // CPU a proxy spent per GiB: times move with the host's load, this much less.
    const cpu = new Map<string, number[]>();
    // The client's and the server's CPU per GiB over a path between two namespaces.
    const pathCpu = new Map<string, number[]>();
    const sent = await interleaved(sendAll, ROUNDS, async (c) => {
      const cpu0 = c.cpuPid ? processCpuMs(c.cpuPid) : undefined;
      const args = ["send", c.host, String(c.port), String(BYTES)];
      let m: Measure;
      if (c.metered) {
        const s0 = processCpuMs(c.metered.serverPid);
        const [line, stat] = (await c.metered.run(["sh", "-c", `${c.metered.meter} "$@" && cat /proc/$$/stat`, "sh", ...args])).trim().split("\n");
        const s1 = processCpuMs(c.metered.serverPid);
        m = parse(line ?? "");
        if (stat && s0 !== undefined && s1 !== undefined) pathCpu.set(c.name, [...(pathCpu.get(c.name) ?? []), (waitedCpuMs(stat) + s1 - s0) / (m.bytes / 2 ** 30)]);
      } else m = parse(await c.place(args));
      const cpu1 = c.cpuPid ? processCpuMs(c.cpuPid) : undefined;
      if (cpu0 !== undefined && cpu1 !== undefined) cpu.set(c.name, [...(cpu.get(c.name) ?? []), (cpu1 - cpu0) / (m.bytes / 2 ** 30)]);
      seen.set(c.name, m.from);
      return gbits(m);
    });
    const cpuPerGiB = (name: string) => (cpu.get(name)?.length ? median(cpu.get(name)!) : undefined);
    const pathCpuPerGiB = (name: string) => (pathCpu.get(name)?.length ? median(pathCpu.get(name)!) : undefined);
    const connAll = [floorC, proxied(b), ...(k ? [proxied(k)] : []), direct, ...(dnat ? [dnat] : [])];
    const conns = await interleaved(connAll, ROUNDS, async (c) => perSec(parse(await c.place(["conns", c.host, String(c.port), String(CONNS)]))));
    const gb = new Map(sendAll.map((c, i) => [c.name, median(sent[i]!)]));
    const cps = new Map(connAll.map((c, i) => [c.name, median(conns[i]!)]));

    // DNAT keeps the client's address; through berth's proxy the server sees the bridge's gateway.
    if (dnat && seen.get("berth DNAT") !== hostAddr) throw new Error(`the DNAT contender reached the server from ${seen.get("berth DNAT")}, not ${hostAddr}: not through DNAT`);
    if (seen.get("berth proxy") !== b.gateway) throw new Error(`the proxy contender reached the server from ${seen.get("berth proxy")}, not the gateway ${b.gateway}`);

    // Start: run --rm with the default bridge and with --network none, interleaved; what the bridge
    // adds is the median of each round's difference (a round's two runs share the host's spell).
    const starts = engines.flatMap((e) => [{ e, net: "none" }, { e, net: "bridge" }]);
    for (const s of starts) await must(s.e, ["run", "--rm", "--network", s.net, "busybox", "true"]);
    const startMs = await interleaved(starts, START_ROUNDS, async (s) => {
      // After a pause: a berth start within ~150 ms of the previous one finds no standby ready and
      // pays for a cold one (~75 ms here), and a round runs the bridged start right after the other.
      await Bun.sleep(400);
      const t = performance.now();
      await must(s.e, ["run", "--rm", "--network", s.net, "busybox", "true"]);
      return performance.now() - t;
    });
    const start = new Map(starts.map((s, i) => [`${s.e.name} ${s.net}`, median(startMs[i]!)]));
    const extra = (e: Engine) => {
      const i = starts.findIndex((s) => s.e === e);
      return i < 0 ? undefined : median(startMs[i + 1]!.map((bridged, r) => bridged - startMs[i]![r]!));
    };

    const f = (x: number | undefined, digits: number) => (x === undefined ? "—" : x.toFixed(digits));
    const ratio = (a: number | undefined, over: number | undefined) => (a === undefined || over === undefined ? "—" : `${(a / over).toFixed(2)}×`);
    const dockerWhy = typeof dockerd === "string" ? `dockerd ${dockerd}` : "";
    return [
      "### network",
      "",
      `Medians of ${ROUNDS} rounds (${START_ROUNDS} for the starts, each after a 400 ms pause); each round visits every contender in a turning order. berth and dockerd 20.10 (with its docker0, \`--bip ${dockerBridge}\`, and docker-proxy) run side by side in one network namespace made for the run, with ${hostAddr} on its lo as the namespace's address outside 127/8; no packet leaves it. dockerd runs with \`--iptables=false\` (its iptables rules in the same namespace would drop berth's bridged traffic: with br_netfilter, the FORWARD policy becomes DROP), so its published ports go through docker-proxy only and it has no DNAT figure. tcp-meter (scripts/bench/tcp-meter.c, static) sends ${BYTES / 2 ** 20} MiB per sample and waits for the server's answer after its end, or makes ${CONNS} connections one after another, each sending a byte and waiting for the answer and the close. Containers are on each engine's default bridge.${dockerWhy ? ` ${dockerWhy}.` : ""}`,
      "",
      "| TCP throughput (Gbit/s) | berth | dockerd | berth ÷ dockerd |",
      "|---|---:|---:|---:|",
      `| container to container over the bridge | ${f(gb.get("berth c2c"), 2)} | ${f(gb.get("dockerd c2c"), 2)} | ${ratio(gb.get("berth c2c"), gb.get("dockerd c2c"))} |`,
      `| host 127.0.0.1 to a published port (userland proxy) | ${f(gb.get("berth proxy"), 2)} | ${f(gb.get("dockerd proxy"), 2)} | ${ratio(gb.get("berth proxy"), gb.get("dockerd proxy"))} |`,
      `| … the proxy's CPU per GiB (ms; lower is better) | ${f(cpuPerGiB("berth proxy"), 0)} | ${f(cpuPerGiB("dockerd proxy"), 0)} | ${ratio(cpuPerGiB("berth proxy"), cpuPerGiB("dockerd proxy"))} |`,
      `| host ${hostAddr} to a published port (DNAT) | ${dnat ? f(gb.get("berth DNAT"), 2) : `no DNAT (firewall: ${firewall})`} | — | — |`,
      "",
      `Floors: a veth pair made by hand between two namespaces, ${f(gb.get("floor"), 2)} Gbit/s (berth's container to container is ${ratio(gb.get("berth c2c"), gb.get("floor"))} it; dockerd's ${ratio(gb.get("dockerd c2c"), gb.get("floor"))}); two namespaces on a bridge made by hand in the bench's namespace, ${f(gb.get("hand bridge"), 2)} Gbit/s (berth's is ${ratio(gb.get("berth c2c"), gb.get("hand bridge"))} it; dockerd's ${ratio(gb.get("dockerd c2c"), gb.get("hand bridge"))}): bridged packets there go through the namespace's netfilter hooks (br_netfilter, bridge-nf-call-iptables=1 in every new namespace on this kernel), with connection tracking once berth's nf_tables table is in it, so this is the floor of any engine's bridge there; the host straight to berth's container address, ${f(gb.get("direct"), 2)} Gbit/s (berth's DNAT is ${ratio(gb.get("berth DNAT"), gb.get("direct"))} it).`,
      "",
      `What a path costs, beside what it gave: the client's and the server's CPU per GiB (ms; softirq work is charged to the task it interrupts on this kernel, so this holds the path's kernel work; it carries across the host's load where times do not): floor ${f(pathCpuPerGiB("floor"), 0)}, hand bridge ${f(pathCpuPerGiB("hand bridge"), 0)}, berth container to container ${f(pathCpuPerGiB("berth c2c"), 0)} (${ratio(pathCpuPerGiB("berth c2c"), pathCpuPerGiB("floor"))} the floor's), dockerd ${f(pathCpuPerGiB("dockerd c2c"), 0)} (${ratio(pathCpuPerGiB("dockerd c2c"), pathCpuPerGiB("floor"))}).`,
      "",
      "| connections/s to a published port | berth | dockerd | berth ÷ dockerd |",
      "|---|---:|---:|---:|",
      `| through the userland proxy (127.0.0.1) | ${f(cps.get("berth proxy"), 0)} | ${f(cps.get("dockerd proxy"), 0)} | ${ratio(cps.get("berth proxy"), cps.get("dockerd proxy"))} |`,
      `| through DNAT (${hostAddr}) | ${dnat ? f(cps.get("berth DNAT"), 0) : "—"} | — | — |`,
      "",
      `Connections/s, floors: over the hand-made veth pair ${f(cps.get("floor"), 0)}; the host straight to berth's container ${f(cps.get("direct"), 0)} (berth's DNAT is ${ratio(cps.get("berth DNAT"), cps.get("direct"))} it).`,
      "",
      "| `run --rm busybox true` (ms) | berth | dockerd |",
      "|---|---:|---:|",
      `| \`--network none\` | ${f(start.get("berth none"), 0)} | ${f(start.get("dockerd none"), 0)} |`,
      `| default bridge | ${f(start.get("berth bridge"), 0)} | ${f(start.get("dockerd bridge"), 0)} |`,
      `| what the bridge adds (median of the rounds' differences) | ${f(extra(berth), 0)} | ${f(typeof dockerd === "string" ? undefined : extra(dockerd), 0)} |`,
      "",
      "Targets from the networks issue: container to container ≥ 0.9× the veth floor; through the userland proxy ≥ 1.5× docker-proxy (throughput and connections/s); through DNAT ≥ 0.9× the host straight to the container; a bridge adds ≤ 10 ms to a start (dockerd: about 70 ms).",
      "",
    ].join("\n");
  } finally {
    for (const p of floorServers) p.kill();
    if (typeof dockerd !== "string") {
      const ids = (await dockerd.cli(["ps", "-aq"])).stdout.split("\n").filter(Boolean);
      if (ids.length) await dockerd.cli(["rm", "-f", ...ids]);
      await dockerd.stop().catch(() => {});
    }
    await d?.stop().catch(() => {});
    await ns.remove();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await run());
