// Names and published ports end to end, with a daemon inside a network
// namespace of the test's own: the embedded DNS answers names, aliases and
// short IDs and forwards the rest (to a resolver in the same namespace); -p,
// -P and port; a taken port fails cleanly; after kill -9 and a restart the
// ports answer and the names resolve again.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { settled } from "./netns-daemon.ts";

const ns = `berth-np-${Math.random().toString(36).slice(2, 8)}`;
const nsPath = `/run/netns/${ns}`;
let d: TestDaemon;
let upstream: Bun.Subprocess<"ignore", "pipe", "inherit"> | undefined;
const ok = requireDaemon();

beforeAll(async () => {
  if (!ok) return;
  await $`ip netns add ${ns}`.quiet();
  await $`ip -n ${ns} link set lo up`.quiet();
  upstream = Bun.spawn(["nsenter", `--net=${nsPath}`, process.execPath, join(import.meta.dir, "fake-upstream-dns.ts"), "127.0.0.1"], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  const reader = upstream.stdout.getReader();
  expect(new TextDecoder().decode((await reader.read()).value)).toContain("listening");
  reader.releaseLock();
  d = await startDaemon({ bridge: true, netns: nsPath, args: ["--dns", "127.0.0.1"] });
  const tar = busyboxRootfsTar(d.dir);
  expect((await d.cli(["import", tar, "busybox:latest", "--change", 'CMD ["sh"]', "--change", "EXPOSE 80 81/udp"])).code).toBe(0);
});
afterAll(async () => {
  if (ok) await d?.stop();
  upstream?.kill();
  await upstream?.exited;
  await $`ip netns del ${ns}`.nothrow().quiet();
});

/** An HTTP GET from inside the test's namespace (as a client on the daemon's host would). */
async function hostGet(port: number, path = "/hostname"): Promise<string> {
  const r = await $`printf ${`GET ${path} HTTP/1.0\r\n\r\n`} | nsenter --net=${nsPath} busybox nc -w 3 127.0.0.1 ${port}`.nothrow().quiet();
  return r.stdout.toString();
}

/** hostGet until something answers (the container's server binds its port a moment after the run returns), 10 s at most. */
async function hostGetAnswered(port: number, path = "/hostname"): Promise<string> {
  let got = "";
  for (const end = Date.now() + 10_000; !got && Date.now() < end; ) {
    got = await hostGet(port, path);
    if (!got) await Bun.sleep(100);
  }
  return got;
}

const lookup = async (net: string, name: string) => (await d.cli(["run", "--rm", "--network", net, "busybox", "busybox", "nslookup", name])).stdout;
/** TCP sockets listening in the test's namespace, IPv4 and IPv6 (the daemon's DNS and proxies among them). */
const listeners = async () => (await $`nsenter --net=${nsPath} cat /proc/net/tcp /proc/net/tcp6`.text()).split("\n").filter((l) => / 0A /.test(l)).length;
/** berth's nf_tables table as nft prints it (nftables is among the packages scripts/test installs). */
const table = async () => (await $`nsenter --net=${nsPath} nft list table inet berth`.quiet()).stdout.toString();
const vethCount = async () => (await $`ip -n ${ns} -o link`.text()).split("\n").filter((l) => /: veth/.test(l)).length;
/**
 * The veth count once the removed containers' veths are gone (the kernel deletes them a moment
 * after their namespace goes, not before `rm` returns): one per bridge network of each running
 * container. A count that never comes to it fails here.
 */
async function vethsAtRest(): Promise<number> {
  const ids = (await d.cli(["ps", "-q"])).stdout.split("\n").filter(Boolean);
  let want = 0;
  for (const id of ids) {
    const nets = JSON.parse((await d.cli(["inspect", "-f", "{{json .NetworkSettings.Networks}}", id])).stdout) ?? {};
    want += Object.keys(nets).filter((n) => n !== "host" && n !== "none").length;
  }
  const n = await settled(vethCount, (c) => c === want);
  expect(n).toBe(want);
  return n;
}

describe.if(ok)("names and published ports", () => {
  test("names, aliases and short IDs resolve on a user network, not from another one; the rest is forwarded", async () => {
    expect((await d.cli(["network", "create", "apps"])).code).toBe(0);
    expect((await d.cli(["network", "create", "others"])).code).toBe(0);
    const web = await d.cli(["run", "-d", "--name", "web", "--network", "apps", "--network-alias", "www", "busybox", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]);
    expect(web.stderr).toBe("");
    const id = web.stdout.trim();
    const ip = (await d.cli(["inspect", "-f", "{{.NetworkSettings.Networks.apps.IPAddress}}", "web"])).stdout.trim();
    for (const name of ["web", "www", id.slice(0, 12), "web.apps"]) {
      expect(await lookup("apps", name)).toContain(`Address: ${ip}`);
    }
    expect(await lookup("others", "web")).not.toContain(ip);
    expect(await lookup("apps", "far.example")).toContain("Address: 10.9.8.7");
    const conf = await d.cli(["run", "--rm", "--network", "apps", "busybox", "cat", "/etc/resolv.conf"]);
    expect(conf.stdout).toMatch(/^nameserver 172\.\d+\.0\.1\n/);
    // Found by name, reached over TCP.
    const r = await d.cli(["run", "--rm", "--network", "apps", "busybox", "sh", "-c", `ip=$(nslookup www | sed -n 's/^Address: //p' | tail -n 1); printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 3 $ip 80`]);
    expect(r.stdout).toContain(id.slice(0, 12));
    // The default bridge has no names, as in Docker: its resolv.conf has the daemon's --dns.
    expect((await d.cli(["run", "--rm", "busybox", "cat", "/etc/resolv.conf"])).stdout).toBe("nameserver 127.0.0.1\n");
    await d.cli(["rm", "-f", "web"]);
    expect(await lookup("apps", "web")).not.toContain(ip);
  });

  test("-p with an address, -p with an ephemeral port, -P, port and inspect; a big answer comes through whole", async () => {
    const run = await d.cli(["run", "-d", "--name", "pub", "-p", "127.0.0.1:18080:80", "-p", "90", "-P", "busybox", "busybox", "httpd", "-f", "-p", "80", "-h", "/"]);
    expect(run.stderr).toBe("");
    const id = run.stdout.trim();
    expect(await hostGetAnswered(18080, "/etc/hostname")).toContain(id.slice(0, 12));
    const ports = JSON.parse((await d.cli(["inspect", "-f", "{{json .NetworkSettings.Ports}}", "pub"])).stdout);
    expect(ports["80/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: "18080" }]);
    const ephemeral = Number(ports["90/tcp"][0].HostPort);
    expect(ephemeral).toBeGreaterThan(1024);
    expect(ports["81/udp"][0].HostIp).toBe("0.0.0.0"); // -P publishes the image's EXPOSE
    const hc = JSON.parse((await d.cli(["inspect", "-f", "{{json .HostConfig.PortBindings}}", "pub"])).stdout);
    expect(hc["80/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: "18080" }]);
    // Every address is both families', on one port, as dockerd binds them.
    expect(ports["90/tcp"]).toEqual([{ HostIp: "0.0.0.0", HostPort: String(ephemeral) }, { HostIp: "::", HostPort: String(ephemeral) }]);
    expect((await d.cli(["port", "pub", "90"])).stdout).toBe(`0.0.0.0:${ephemeral}\n[::]:${ephemeral}\n`);
    expect((await d.cli(["port", "pub"])).stdout).toContain("80/tcp -> 127.0.0.1:18080\n");
    expect((await d.cli(["ps", "--format", "{{.Ports}}"])).stdout).toContain("127.0.0.1:18080->80/tcp");
    // 2 MB through the proxy, byte for byte.
    const body = await $`printf ${"GET /bin/busybox HTTP/1.0\r\n\r\n"} | nsenter --net=${nsPath} busybox nc -w 5 127.0.0.1 18080 | sed '1,/^\r$/d' | sha256sum`.text();
    const want = await $`sha256sum /bin/busybox`.text();
    expect(body.split(" ")[0]).toBe(want.split(" ")[0]);
  });

  test("a host port already taken: Docker's message, and nothing left behind", async () => {
    const before = await vethsAtRest();
    const r = await d.cli(["run", "-d", "--name", "clash", "-p", "127.0.0.1:18080:80", "busybox", "sleep", "30"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/driver failed programming external connectivity on endpoint clash \([0-9a-f]{64}\): Bind for 127\.0\.0\.1:18080 failed: port is already allocated/);
    expect(await vethCount()).toBe(before);
    expect(JSON.parse((await d.cli(["inspect", "clash"])).stdout)[0].NetworkSettings.Networks.bridge.IPAddress).toBe("");
    const bad = await d.cli(["run", "--rm", "-p", "127.0.0.1:99999:80", "busybox", "true"]);
    expect(bad.stderr).toContain("invalid hostPort: 99999");
    const host = await d.cli(["run", "--rm", "--network", "host", "-p", "80:80", "busybox", "true"]);
    expect(host.stderr).toContain("WARNING: Published ports are discarded when using host network mode");
    await d.cli(["rm", "-f", "clash"]);
  });

  test("UDP on [::] is IPv6's alone, 0.0.0.0 another container's; sctp is taken at create and refused at start, in dockerd's words", async () => {
    expect((await d.cli(["run", "-d", "--name", "u6", "-p", "[::]:18053:53/udp", "busybox", "sleep", "60"])).stderr).toBe("");
    expect((await d.cli(["run", "-d", "--name", "u4", "-p", "0.0.0.0:18053:53/udp", "busybox", "sleep", "60"])).stderr).toBe("");
    expect((await d.cli(["port", "u6"])).stdout).toBe("53/udp -> [::]:18053\n");
    expect((await d.cli(["port", "u4"])).stdout).toBe("53/udp -> 0.0.0.0:18053\n");
    expect((await d.cli(["rm", "-f", "u6", "u4"])).code).toBe(0);

    const before = await vethsAtRest(); // u6's and u4's veths go after rm returns
    expect((await d.cli(["create", "--name", "sc", "-p", "18132:132/sctp", "busybox", "sleep", "60"])).code).toBe(0);
    const start = await d.cli(["start", "sc"]);
    expect(start.code).toBe(1);
    // This kernel has no SCTP (docker-proxy fails the same way); one that has it meets berth's proxy, which has none.
    expect(start.stderr).toMatch(/driver failed programming external connectivity on endpoint sc \([0-9a-f]{64}\): Error starting userland proxy: (protocol not supported|sctp is not supported by berth's userland proxy)/);
    expect(await vethCount()).toBe(before);
    expect((await d.cli(["rm", "sc"])).code).toBe(0);
  });

  test("30 containers run and removed at once on a user network leave no veth, address, name or listener behind", async () => {
    expect((await d.cli(["network", "create", "par"])).code).toBe(0);
    const before = await listeners();
    const veths = await vethsAtRest();
    const rules = await table();
    const runs = await Promise.all(
      Array.from({ length: 30 }, (_, i) => d.cli(["run", "--rm", "--name", `par${i}`, "--network", "par", "-p", "80", "busybox", "sh", "-c", "ip -o -4 addr show eth0"], { timeoutMs: 90_000 })),
    );
    const ips = runs.map((r) => /inet (\d+\.\d+\.\d+\.\d+)/.exec(r.stdout)?.[1]);
    expect(runs.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    // Each had an address on the network (one that went may have been handed out again meanwhile).
    expect(ips.every((ip) => ip?.startsWith("172."))).toBe(true);
    const left = async () => (await d.cli(["ps", "-aq", "--filter", "name=par"])).stdout;
    for (const end = Date.now() + 15_000; Date.now() < end && (await left()).trim(); ) await Bun.sleep(100);
    expect(await left()).toBe("");
    expect(await settled(vethCount, (n) => n === veths)).toBe(veths);
    expect(JSON.parse((await d.cli(["network", "inspect", "par"])).stdout)[0].Containers).toEqual({});
    expect(await lookup("par", "par0")).not.toContain("Address: 172.");
    expect(await listeners()).toBe(before);
    expect(await table()).toBe(rules);
  });

  test("after kill -9 of the daemon and a restart, running containers keep their addresses, ports answer and names resolve", async () => {
    const web = await d.cli(["run", "-d", "--name", "named", "--network", "apps", "-p", "127.0.0.1:18081:80", "busybox", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]);
    expect(web.stderr).toBe("");
    const ip = (await d.cli(["inspect", "-f", "{{.NetworkSettings.Networks.apps.IPAddress}}", "named"])).stdout.trim();
    d.kill();
    await d.restart();
    expect((await d.cli(["inspect", "-f", "{{.NetworkSettings.Networks.apps.IPAddress}}", "named"])).stdout.trim()).toBe(ip);
    expect(await hostGetAnswered(18081)).toContain(web.stdout.trim().slice(0, 12));
    expect(await hostGetAnswered(18080, "/etc/hostname")).not.toBe(""); // "pub", from the test before
    expect(await lookup("apps", "named")).toContain(`Address: ${ip}`);
    await d.cli(["rm", "-f", "named", "pub"]);
    expect(await hostGet(18081)).toBe("");
    expect(await settled(vethCount, (n) => n === 0)).toBe(0);
  });
});
