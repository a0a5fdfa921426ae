// Where published ports lead, with a daemon in a namespace of the test's own
// and an "upstream" namespace beyond a veth pair (IPv4 and IPv6): the host's
// IPv6 addresses reach a container on an --ipv6 network (DNAT in ip6, the
// proxy on ::1), a container on an --internal network alone publishes
// nothing, and on several networks the ports follow the network that gives
// the gateway as networks are connected and disconnected. Legacy links on
// the default bridge give Docker's environment variables.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import type { TestDaemon } from "../fixtures/daemon.ts";
import { linkEnv } from "../../src/daemon/networks/links.ts";
import { netnsDaemonForFile } from "./netns-daemon.ts";

const file = netnsDaemonForFile("berth-gp");
const { ok, ns, nsPath } = file;
const upNs = `${ns}-up`;
const upPath = `/run/netns/${upNs}`;
const daemonV6 = "fd00:5e:1::1";
const upstreamV6 = "fd00:5e:1::2";
let d: TestDaemon;

const nftMissing = Bun.spawnSync(["nft", "--version"]).exitCode !== 0;
if (ok && nftMissing) {
  if (process.env.CI === "true") throw new Error("nft (Debian package nftables) is not installed");
  console.warn("skipping: nft (Debian package nftables) is not installed");
}
const run = ok && !nftMissing;

beforeAll(async () => {
  d = file.d;
  if (!run) return;
  await $`ip netns add ${upNs}`.quiet();
  await $`ip -n ${ns} link add uplink type veth peer name downlink netns ${upNs}`.quiet();
  await $`ip -n ${ns} addr add ${daemonV6}/64 dev uplink nodad`.quiet();
  await $`ip -n ${upNs} addr add ${upstreamV6}/64 dev downlink nodad`.quiet();
  for (const [n, link] of [[ns, "uplink"], [upNs, "downlink"]]) {
    await $`ip -n ${n} link set lo up`.quiet();
    await $`ip -n ${n} link set ${link} up`.quiet();
  }
});
afterAll(async () => {
  await $`ip netns del ${upNs}`.nothrow().quiet();
});

const table = async () => (await $`nsenter --net=${nsPath} nft list table inet berth`.nothrow().quiet()).stdout.toString();
const inspect = async (name: string) => JSON.parse((await d.cli(["inspect", name])).stdout)[0];

/** A server that answers each connection with its sockets as netstat lists them: who connected shows as the peer. */
const netstatServer = ["busybox", "nc", "-ll", "-p", "80", "-e", "netstat", "-tn"];
/** The peer address of a live connection to the container's port 80, from the server's answer. */
const peerOf = (out: string) => /:80\s+(?:::ffff:)?(\S+):\d+\s+(?:ESTABLISHED|CLOSE_WAIT)/.exec(out)?.[1];

/** Connects from `netns` to host:port until a peer is seen (the listener may come a moment after start), or 10 s pass. */
async function peerSeen(netns: string, host: string, port: number): Promise<string | undefined> {
  for (const end = Date.now() + 10_000; Date.now() < end; ) {
    const r = await $`nsenter --net=${netns} busybox nc -w 3 ${host} ${port} </dev/null`.nothrow().quiet();
    const peer = peerOf(r.stdout.toString());
    if (peer) return peer;
    await Bun.sleep(100);
  }
  return undefined;
}

/** Whether host:port in the daemon's namespace answers within 3 s. */
const answers = async (host: string, port: number) => (await $`nsenter --net=${nsPath} busybox nc -w 3 ${host} ${port} </dev/null`.nothrow().quiet()).stdout.toString().includes(":80 ");
const defaultRoute = async (name: string) => (await d.cli(["exec", name, "busybox", "ip", "-4", "route", "show", "default"])).stdout.trim();

describe.if(run)("where published ports lead", () => {
  test("on an --ipv6 network the host's IPv6 addresses reach the container's IPv6 address: DNAT from outside, the proxy on ::1", async () => {
    expect((await d.cli(["network", "create", "--ipv6", "--subnet", "fd00:5e:2::/64", "v6net"])).stderr).toBe("");
    const r = await d.cli(["run", "-d", "--name", "v6web", "--network", "v6net", "-p", "18100:80", "busybox", ...netstatServer]);
    expect(r.stderr).toBe("");
    const ep = (await inspect("v6web")).NetworkSettings;
    const v6 = ep.Networks.v6net.GlobalIPv6Address as string;
    expect(v6).toMatch(/^fd00:5e:2::/);
    expect(ep.Ports["80/tcp"]).toEqual([{ HostIp: "0.0.0.0", HostPort: "18100" }, { HostIp: "::", HostPort: "18100" }]);
    expect((await d.cli(["port", "v6web", "80"])).stdout).toBe("0.0.0.0:18100\n[::]:18100\n");
    expect(await table()).toContain(`tcp dport 18100 dnat ip6 to [${v6}]:80`);
    // From the upstream, DNAT: the container sees the upstream's own address.
    expect(await peerSeen(upPath, daemonV6, 18100)).toBe(upstreamV6);
    // From ::1, the proxy: it connects from the bridge's IPv6 gateway to the container's IPv6 address.
    expect(await peerSeen(nsPath, "::1", 18100)).toBe("fd00:5e:2::1");
    // A container without IPv6 is reached from IPv6 through the proxy, towards its IPv4 address.
    expect((await d.cli(["run", "-d", "--name", "v4web", "-p", "18101:80", "busybox", ...netstatServer])).stderr).toBe("");
    expect(await peerSeen(nsPath, "::1", 18101)).toBe((await inspect("v4web")).NetworkSettings.Gateway);
    expect(await table()).not.toContain("dport 18101 dnat ip6");
    expect((await d.cli(["rm", "-f", "v6web", "v4web"])).code).toBe(0);
    expect(await table()).not.toContain("dnat ip6");
    expect(await answers("::1", 18100)).toBe(false);
  });

  test("a container on an --internal network alone publishes nothing, until a network with a gateway is connected", async () => {
    expect((await d.cli(["network", "create", "--internal", "intnet"])).code).toBe(0);
    expect((await d.cli(["network", "create", "outnet"])).code).toBe(0);
    const r = await d.cli(["run", "-d", "--name", "intweb", "--network", "intnet", "-p", "18102:80", "busybox", ...netstatServer]);
    expect(r.stderr).toBe("");
    expect((await inspect("intweb")).NetworkSettings.Ports).toEqual({ "80/tcp": null });
    const port = await d.cli(["port", "intweb", "80"]);
    expect(port.code).toBe(1);
    expect(port.stderr).toContain("No public port '80/tcp' published for intweb");
    expect(await answers("127.0.0.1", 18102)).toBe(false);
    expect(await table()).not.toContain("dport 18102");
    // A network with a gateway connected: the ports are published towards it, and the default route goes there.
    expect((await d.cli(["network", "connect", "outnet", "intweb"])).stderr).toBe("");
    const ip = (await inspect("intweb")).NetworkSettings.Networks.outnet.IPAddress;
    expect((await inspect("intweb")).NetworkSettings.Ports["80/tcp"]).toContainEqual({ HostIp: "0.0.0.0", HostPort: "18102" });
    expect(await table()).toContain(`tcp dport 18102 dnat ip to ${ip}:80`);
    expect(await answers("127.0.0.1", 18102)).toBe(true);
    expect(await defaultRoute("intweb")).toContain("default via ");
    // And disconnected again: nothing published, no route out.
    expect((await d.cli(["network", "disconnect", "outnet", "intweb"])).code).toBe(0);
    expect(await answers("127.0.0.1", 18102)).toBe(false);
    expect(await table()).not.toContain("dport 18102");
    expect(await defaultRoute("intweb")).toBe("");
    expect((await d.cli(["rm", "-f", "intweb"])).code).toBe(0);
  });

  test("on several networks the ports and the default route follow the network that gives the gateway, through connect and disconnect", async () => {
    for (const net of ["aaa", "mmm", "zzz"]) expect((await d.cli(["network", "create", net])).code).toBe(0);
    const gw = async (net: string) => (await d.cli(["network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", net])).stdout.trim();
    const addr = async (net: string) => (await inspect("multi")).NetworkSettings.Networks[net].IPAddress as string;
    const r = await d.cli(["run", "-d", "--name", "multi", "--network", "mmm", "-p", "127.0.0.1:18103:80", "-p", "18104:80", "busybox", ...netstatServer]);
    expect(r.stderr).toBe("");
    /** The gateway network is `net`: the route goes through it, DNAT and the proxy lead to the address there. */
    const expectGateway = async (net: string) => {
      expect(await defaultRoute("multi")).toMatch(new RegExp(`^default via ${(await gw(net)).replaceAll(".", "\\.")} dev eth\\d+$`));
      expect(await table()).toContain(`tcp dport 18104 dnat ip to ${await addr(net)}:80`);
      // The proxy connects from the gateway of the network it goes through.
      expect(await peerSeen(nsPath, "127.0.0.1", 18103)).toBe(await gw(net));
    };
    await expectGateway("mmm");
    // A network after it by name changes nothing; one before it takes the gateway, as with dockerd.
    expect((await d.cli(["network", "connect", "zzz", "multi"])).code).toBe(0);
    await expectGateway("mmm");
    expect((await d.cli(["network", "disconnect", "zzz", "multi"])).code).toBe(0);
    await expectGateway("mmm");
    expect((await d.cli(["network", "connect", "aaa", "multi"])).code).toBe(0);
    await expectGateway("aaa");
    // The first interface gone, the next one connected takes the free name.
    expect((await d.cli(["network", "disconnect", "mmm", "multi"])).code).toBe(0);
    await expectGateway("aaa");
    expect((await d.cli(["network", "connect", "mmm", "multi"])).code).toBe(0);
    expect((await d.cli(["exec", "multi", "sh", "-c", "ls /sys/class/net | sort | tr '\\n' ' '"])).stdout).toBe("eth0 eth1 lo ");
    expect((await d.cli(["network", "disconnect", "aaa", "multi"])).code).toBe(0);
    await expectGateway("mmm");
    // After a restart of the daemon the ports answer through the same network.
    d.kill();
    await d.restart();
    await expectGateway("mmm");
    expect((await d.cli(["rm", "-f", "multi"])).code).toBe(0);
    expect(await table()).not.toContain("dport 18104");
  });

  test("a legacy link on the default bridge gives Docker's variables; the container's own Env wins", async () => {
    const db = await d.cli(["run", "-d", "--name", "linkdb", "-e", "PGUSER=me", "-e", "TOKEN=a=b", "--expose", "5432", "--expose", "7000-7001/udp", "busybox", "sleep", "60"]);
    expect(db.stderr).toBe("");
    const ip = (await inspect("linkdb")).NetworkSettings.IPAddress;
    expect((await d.cli(["run", "-d", "--name", "linker", "--link", "linkdb:db-main", "-e", "DB_MAIN_ENV_TOKEN=mine", "busybox", "sleep", "60"])).stderr).toBe("");
    // The program's own variables, and an exec's (dockerd gives it the links' too).
    const program = (await d.cli(["exec", "linker", "sh", "-c", "tr '\\0' '\\n' < /proc/1/environ"])).stdout.split("\n");
    const exec = (await d.cli(["exec", "linker", "env"])).stdout.split("\n");
    for (const env of [program, exec]) for (const line of [
      `DB_MAIN_PORT=tcp://${ip}:5432`, `DB_MAIN_PORT_5432_TCP=tcp://${ip}:5432`, `DB_MAIN_PORT_5432_TCP_ADDR=${ip}`, "DB_MAIN_PORT_5432_TCP_PORT=5432",
      "DB_MAIN_PORT_5432_TCP_PROTO=tcp", `DB_MAIN_PORT_7000_UDP_START=udp://${ip}:7000`, "DB_MAIN_PORT_7001_UDP_PROTO=udp",
      "DB_MAIN_NAME=/linker/db-main", "DB_MAIN_ENV_PGUSER=me", "DB_MAIN_ENV_TOKEN=mine",
    ]) expect(env).toContain(line);
    expect([...program, ...exec].filter((l) => l.startsWith("DB_MAIN_ENV_PATH") || l.startsWith("DB_MAIN_ENV_TOKEN=a"))).toEqual([]);
    // The linked container removed, its link goes with it: an exec still runs, without the variables.
    expect((await d.cli(["rm", "-f", "linkdb"])).code).toBe(0);
    const after = await d.cli(["exec", "linker", "env"]);
    expect(after.code).toBe(0);
    expect(after.stdout).not.toContain("DB_MAIN_PORT");
    expect((await d.cli(["rm", "-f", "linker"])).code).toBe(0);
  });
});

test("link variables: TCP first, runs of consecutive ports with their start and end, the name and the other's Env but HOME and PATH", () => {
  const env = linkEnv("/web/my-db", "10.0.0.5", ["53/udp", "8081/tcp", "8080/tcp", "9000/tcp"], ["PATH=/bin", "HOME=/root", "A=1", "broken"]);
  expect(env).toEqual([
    "MY_DB_PORT=tcp://10.0.0.5:8080",
    "MY_DB_PORT_8080_TCP=tcp://10.0.0.5:8080", "MY_DB_PORT_8080_TCP_ADDR=10.0.0.5", "MY_DB_PORT_8080_TCP_PORT=8080", "MY_DB_PORT_8080_TCP_PROTO=tcp",
    "MY_DB_PORT_8081_TCP=tcp://10.0.0.5:8081", "MY_DB_PORT_8081_TCP_ADDR=10.0.0.5", "MY_DB_PORT_8081_TCP_PORT=8081", "MY_DB_PORT_8081_TCP_PROTO=tcp",
    "MY_DB_PORT_9000_TCP=tcp://10.0.0.5:9000", "MY_DB_PORT_9000_TCP_ADDR=10.0.0.5", "MY_DB_PORT_9000_TCP_PORT=9000", "MY_DB_PORT_9000_TCP_PROTO=tcp",
    "MY_DB_PORT_8080_TCP_START=tcp://10.0.0.5:8080", "MY_DB_PORT_8080_TCP_PORT_START=8080", "MY_DB_PORT_8080_TCP_END=tcp://10.0.0.5:8081", "MY_DB_PORT_8080_TCP_PORT_END=8081",
    "MY_DB_PORT_53_UDP=udp://10.0.0.5:53", "MY_DB_PORT_53_UDP_ADDR=10.0.0.5", "MY_DB_PORT_53_UDP_PORT=53", "MY_DB_PORT_53_UDP_PROTO=udp",
    "MY_DB_NAME=/web/my-db", "MY_DB_ENV_A=1",
  ]);
  expect(linkEnv("/a/b", "10.0.0.6", [], [])).toEqual(["B_NAME=/a/b"]);
});
