// Outbound and inbound NAT through berth's nf_tables table, with two
// namespaces of the test's own: the daemon's, and an "upstream" one beyond a
// veth pair, where a server answers with the address it sees. A container
// reaches the upstream under the daemon namespace's address (masquerade); the
// upstream reaches a published port and the container sees the upstream's own
// address (DNAT, not the proxy, which would show the bridge's gateway). `nft`
// only reads what berth wrote.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const tag = Math.random().toString(36).slice(2, 8);
const ns = `berth-nat-${tag}`;
const upNs = `berth-up-${tag}`;
const nsPath = `/run/netns/${ns}`;
const upPath = `/run/netns/${upNs}`;
const daemonAddr = "198.51.100.1";
const upstreamAddr = "198.51.100.2";
let d: TestDaemon;
let upstream: Bun.Subprocess<"ignore", "pipe", "inherit"> | undefined;

function unavailable(): string | undefined {
  if (Bun.spawnSync(["nft", "--version"]).exitCode !== 0) return "nft (Debian package nftables) is not installed";
  return undefined;
}
const ok = requireDaemon() && !unavailable();
if (requireDaemon() && unavailable()) {
  if (process.env.CI === "true") throw new Error(unavailable());
  console.warn(`skipping: ${unavailable()}`);
}

const upstreamServer = `
const s = Bun.serve({ hostname: "${upstreamAddr}", port: 8080, fetch: (req, srv) => new Response(srv.requestIP(req)?.address ?? "?") });
console.log("listening", s.port);
`;

beforeAll(async () => {
  if (!ok) return;
  await $`ip netns add ${ns}`.quiet();
  await $`ip netns add ${upNs}`.quiet();
  await $`ip -n ${ns} link add uplink type veth peer name downlink netns ${upNs}`.quiet();
  await $`ip -n ${ns} addr add ${daemonAddr}/24 dev uplink`.quiet();
  await $`ip -n ${upNs} addr add ${upstreamAddr}/24 dev downlink`.quiet();
  for (const [n, link] of [[ns, "uplink"], [upNs, "downlink"]]) {
    await $`ip -n ${n} link set lo up`.quiet();
    await $`ip -n ${n} link set ${link} up`.quiet();
  }
  upstream = Bun.spawn(["nsenter", `--net=${upPath}`, process.execPath, "-e", upstreamServer], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  const reader = upstream.stdout.getReader();
  expect(new TextDecoder().decode((await reader.read()).value)).toContain("listening");
  reader.releaseLock();
  d = await startDaemon({ bridge: true, netns: nsPath });
  expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest", "--change", 'CMD ["sh"]'])).code).toBe(0);
});
afterAll(async () => {
  if (ok) await d?.stop();
  upstream?.kill();
  await upstream?.exited;
  await $`ip netns del ${ns}`.nothrow().quiet();
  await $`ip netns del ${upNs}`.nothrow().quiet();
});

const table = async () => (await $`nsenter --net=${nsPath} nft list table inet berth`.nothrow().quiet()).stdout.toString();

/** From the upstream namespace: connects to the daemon namespace's address and returns what the server there wrote. */
const fromUpstream = async (port: number) => (await $`nsenter --net=${upPath} busybox nc -w 3 ${daemonAddr} ${port} </dev/null`.nothrow().quiet()).stdout.toString();

describe.if(ok)("NAT through nf_tables", () => {
  test("a container reaches the upstream under the daemon's address, from the default bridge and from a user network", async () => {
    for (const net of ["bridge", "natnet"]) {
      if (net !== "bridge") expect((await d.cli(["network", "create", net])).code).toBe(0);
      const r = await d.cli(["run", "--rm", "--network", net, "busybox", "busybox", "wget", "-qO-", `http://${upstreamAddr}:8080/`]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(daemonAddr);
    }
    const t = await table();
    const subnets = JSON.parse((await d.cli(["network", "inspect", "-f", "{{json .IPAM.Config}}", "bridge", "natnet"])).stdout.split("\n")[0]!);
    expect(t).toContain(`ip saddr ${subnets[0].Subnet} oifname != "berth0" masquerade`);
    expect(t.match(/masquerade/g)?.length).toBe(2);
    expect((await $`nsenter --net=${nsPath} cat /proc/sys/net/ipv4/ip_forward`.text()).trim()).toBe("1");
    const info = await d.cli(["info"]);
    expect(info.stdout).toContain(" Firewall Backend: nftables\n");
    expect((await d.cli(["info", "--format", "{{.IPv4Forwarding}}"])).stdout.trim()).toBe("true");
  });

  test("connections between two containers of one network are not tracked by conntrack; those to the gateway are", async () => {
    expect((await d.cli(["run", "-d", "--name", "ct-srv", "--network", "natnet", "busybox", "busybox", "nc", "-ll", "-p", "7000", "-e", "echo", "hi"])).stderr).toBe("");
    const [srv, gw] = (await d.cli(["inspect", "-f", "{{.NetworkSettings.Networks.natnet.IPAddress}} {{.NetworkSettings.Networks.natnet.Gateway}}", "ct-srv"])).stdout.trim().split(" ");
    // Until the server listens (its start returns before nc binds); then a ping of the gateway.
    const script = `for i in $(seq 50); do busybox nc -w 3 ${srv} 7000 </dev/null | grep -q hi && break; sleep 0.1; done; echo reached $i; busybox ping -c 1 -W 3 ${gw} >/dev/null && echo pinged`;
    const r = await d.cli(["run", "--rm", "--network", "natnet", "busybox", "sh", "-c", script]);
    expect(r.stdout).toMatch(/^reached \d+\npinged\n$/);
    const tracked = (await $`nsenter --net=${nsPath} cat /proc/net/nf_conntrack`.text()).split("\n");
    expect(tracked.some((l) => l.includes(" icmp ") && l.includes(`dst=${gw} `))).toBe(true);
    expect(tracked.filter((l) => l.includes(`dst=${srv} `))).toEqual([]);
    const subnet = (await d.cli(["network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", "natnet"])).stdout.trim();
    expect(await table()).toContain(`ip saddr ${subnet} ip daddr ${subnet} ip daddr != ${gw} notrack`);
    expect((await d.cli(["rm", "-f", "ct-srv"])).code).toBe(0);
  });

  test("the upstream reaches a published port through DNAT; the rule goes with the container and comes back whole after a restart", async () => {
    // The server prints its own sockets: the peer of the connection is whoever the container sees.
    const run = await d.cli(["run", "-d", "--name", "dnat", "-p", "18090:80", "busybox", "busybox", "nc", "-ll", "-p", "80", "-e", "netstat", "-tn"]);
    expect(run.stderr).toBe("");
    const ip = (await d.cli(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "dnat"])).stdout.trim();
    expect(await table()).toContain(`tcp dport 18090 dnat ip to ${ip}:80`);
    // The connection from the upstream, as the container's netstat lists it (open, or half-closed by nc's empty input).
    // Only a live one: the connections before it may still be listed, closing.
    const peer = (out: string) => new RegExp(`${ip.replaceAll(".", "\\.")}:80 +(?:::ffff:)?([0-9.]+):\\d+ +(?:ESTABLISHED|CLOSE_WAIT)`).exec(out)?.[1];
    let seen = "";
    for (let i = 0; i < 50 && !peer(seen); i++) {
      seen = await fromUpstream(18090);
      if (!peer(seen)) await Bun.sleep(100);
    }
    expect(peer(seen)).toBe(upstreamAddr);
    // The loopback stays the proxy's: a local client gets through, and the container sees the proxy's address on the bridge.
    const local = await $`nsenter --net=${nsPath} busybox nc -w 3 127.0.0.1 18090 </dev/null`.nothrow().quiet();
    expect(peer(local.stdout.toString())).toBe((await d.cli(["inspect", "-f", "{{.NetworkSettings.Gateway}}", "dnat"])).stdout.trim());

    const before = await table();
    d.kill();
    await d.restart();
    expect(await table()).toBe(before);
    expect(peer(await fromUpstream(18090))).toBe(upstreamAddr);

    expect((await d.cli(["rm", "-f", "dnat"])).code).toBe(0);
    const after = await table();
    expect(after).not.toContain("dnat ip to");
    expect(after).toContain("masquerade");
    expect(await fromUpstream(18090)).toBe("");
  });

  test("a published UDP port answers the upstream through DNAT and a local client through the proxy", async () => {
    // No UDP server in busybox: Bun itself, with the host's libraries, echoes the address it hears from.
    const libs = [...new Set([...(await $`ldd ${process.execPath}`.text()).matchAll(/(\/\S+)\/[^/\s]+ \(0x/g)].map((m) => m[1]!))];
    const echo = "await Bun.udpSocket({ port: 5353, socket: { data: (s, _b, port, addr) => s.send(addr, port, addr) } })";
    const run = await d.cli(["run", "-d", "--name", "udp", "-p", "18053:5353/udp", ...libs.flatMap((l) => ["-v", `${l}:${l}:ro`]), "-v", `${process.execPath}:/bun:ro`, "busybox", "/bun", "-e", echo]);
    expect(run.stderr).toBe("");
    expect(await table()).toMatch(/udp dport 18053 dnat ip to [\d.]+:5353/);
    const ask = (netns: string, host: string) => {
      const py = `import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(0.5);s.sendto(b"x",("${host}",18053));print(s.recvfrom(100)[0].decode())`;
      return $`nsenter --net=${netns} python3 -c ${py}`.nothrow().quiet().then((r) => r.stdout.toString().trim());
    };
    let heard = "";
    for (let i = 0; i < 60 && !heard; i++) heard = await ask(upPath, daemonAddr);
    expect(heard).toBe(upstreamAddr);
    const gateway = (await d.cli(["inspect", "-f", "{{.NetworkSettings.Gateway}}", "udp"])).stdout.trim();
    let local = "";
    for (let i = 0; i < 20 && !local; i++) local = await ask(nsPath, "127.0.0.1");
    expect(local).toBe(gateway);
    expect((await d.cli(["rm", "-f", "udp"])).code).toBe(0);
    expect(await table()).not.toContain("udp dport 18053");
  });

  test("a build's RUN steps are on the default bridge (out through NAT), on none, or on the network --network names", async () => {
    const ctx = mkdtempSync(join(d.dir, "ctx-"));
    const file = (text: string) => writeFileSync(join(ctx, "Dockerfile"), text);
    file(`FROM busybox\nRUN busybox ip -o -4 addr show eth0 > /addr && busybox wget -qO /seen http://${upstreamAddr}:8080/\nRUN --network=none busybox ip -o link > /links\n`);
    const built = await d.cli(["build", "-q", "-t", "netbuild", ctx]);
    expect(built.stderr).toBe("");
    const out = (await d.cli(["run", "--rm", "netbuild", "busybox", "head", "-n", "99", "/addr", "/seen", "/links"])).stdout;
    const bridge = JSON.parse((await d.cli(["network", "inspect", "-f", "{{json .IPAM.Config}}", "bridge"])).stdout)[0].Subnet as string;
    expect(out).toContain(`inet ${bridge.split(".").slice(0, 2).join(".")}.`);
    expect(out).toContain(daemonAddr);
    expect(out.split("==> /links <==")[1]!.match(/^\d+: \w+/gm)).toEqual(["1: lo"]); // --network=none: lo alone
    // On a user network, a step finds a container there by name.
    expect((await d.cli(["network", "create", "buildnet"])).code).toBe(0);
    expect((await d.cli(["run", "-d", "--name", "peer", "--network", "buildnet", "busybox", "sleep", "60"])).stderr).toBe("");
    const peerIp = (await d.cli(["inspect", "-f", "{{.NetworkSettings.Networks.buildnet.IPAddress}}", "peer"])).stdout.trim();
    file("FROM busybox\nRUN busybox nslookup peer > /peer\n");
    expect((await d.cli(["build", "-q", "--network", "buildnet", "-t", "netbuild2", ctx])).stderr).toBe("");
    expect((await d.cli(["run", "--rm", "netbuild2", "busybox", "cat", "/peer"])).stdout).toContain(`Address: ${peerIp}`);
    // RUN --network=host is BuildKit's network.host entitlement: refused in a bridge build.
    file("FROM busybox\nRUN --network=host busybox true\n");
    const host = await d.cli(["build", "-q", "--no-cache", ctx]);
    expect(host.code).not.toBe(0);
    expect(host.stderr).toContain("network.host is not allowed");
    expect((await d.cli(["build", "-q", "--network", "nosuch", ctx])).stderr).toContain("network nosuch not found");
    await d.cli(["rm", "-f", "peer"]);
    expect((await d.cli(["network", "rm", "buildnet"])).code).toBe(0);
  });

  test("removing the last network of its own leaves only the default bridge's masquerade", async () => {
    expect((await d.cli(["network", "rm", "natnet"])).code).toBe(0);
    expect((await table()).match(/masquerade/g)?.length).toBe(1);
  });

  test("where nf_tables refuses, the firewall says so once and stays off; info's backend says the proxy carries the ports", async () => {
    const probe = join(import.meta.dir, "firewall-probe.ts");
    const out = await $`nsenter --net=${nsPath} unshare --user ${process.execPath} ${probe}`.text();
    const r = JSON.parse(out);
    expect(r.active).toBe(false);
    expect(r.backend.Driver).toBe("none");
    expect(r.backend.Info).toContainEqual(["Published ports", "userland proxy"]);
    expect(r.warning).toMatch(/^nf_tables is not available: .*Operation not permitted.*: containers have no outbound NAT$/);
    expect(r.logged.length).toBe(1);
    // The daemon's own table was not touched.
    expect((await table()).match(/masquerade/g)?.length).toBe(1);
  });
});
