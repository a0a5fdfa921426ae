// What a container's network lets it reach and call by name, with a daemon in
// a namespace of the test's own: an --internal network (no route out, no host
// address beyond its own gateway), --add-host NAME:host-gateway, legacy
// --link on the default bridge (/etc/hosts) and on a user network (DNS), and
// an IPv6 network with --ip6 and --mac-address.
import { beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import type { TestDaemon } from "../fixtures/daemon.ts";
import { netnsDaemonForFile } from "./netns-daemon.ts";

const file = netnsDaemonForFile("berth-il", ["--dns", "127.0.0.1"]);
const { ok, nsPath } = file;
let d: TestDaemon;
beforeAll(() => void (d = file.d));

const sh = async (args: string[], script: string) => {
  const r = await d.cli(["run", "--rm", ...args, "busybox", "sh", "-c", script]);
  return r.stdout + r.stderr;
};
/** A TCP connect from a container: "open" or "closed" (busybox nc gives up after 2 s). */
const reach = (args: string[], ip: string, port: number) => sh(args, `nc -w 2 ${ip} ${port} </dev/null && echo open || echo closed`);
const gatewayOf = async (net: string) => (await d.cli(["network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", net])).stdout.trim();

describe.if(ok)("internal networks, host-gateway, links, IPv6", () => {
  test("an --internal network has no route out and reaches no host address but its gateway's, where names still resolve", async () => {
    expect((await d.cli(["network", "create", "outer"])).code).toBe(0);
    expect((await d.cli(["network", "create", "--internal", "inner"])).code).toBe(0);
    expect(JSON.parse((await d.cli(["network", "inspect", "inner"])).stdout)[0].Internal).toBe(true);
    const outerGw = await gatewayOf("outer");
    // The embedded DNS listens on each user network's gateway (TCP 53): a host address.
    expect((await reach([], outerGw, 53)).trim()).toBe("open");
    const innerGw = await gatewayOf("inner");
    expect(await reach(["--network", "inner"], outerGw, 53)).toContain("Network is unreachable");
    // Even with a route made by hand, the host's other addresses stay out of reach; its own gateway answers.
    const routed = ["--network", "inner", "--cap-add", "NET_ADMIN"];
    const dropped = await sh(routed, `ip route add default via ${innerGw} && nc -w 2 ${outerGw} 53 </dev/null && echo open || echo closed`);
    expect(dropped).toContain("closed\n");
    expect(dropped).toContain("nc: timed out"); // dropped, not refused
    expect((await reach(["--network", "inner"], innerGw, 53)).trim()).toBe("open");
    expect(await sh(["--network", "inner", "--name", "in1"], "ip route; nslookup in1")).not.toMatch(/^default/m);
    expect(await sh(["--network", "inner", "--name", "in2"], "nslookup in2")).toMatch(/Address: 172\.\d+\.\d+\.\d+/);
  });

  test("--add-host NAME:host-gateway is the default bridge's gateway; links on the default bridge are /etc/hosts lines", async () => {
    const hosts = await sh(["--add-host", "hg:host-gateway", "--add-host", "six:fd00::1"], "cat /etc/hosts");
    expect(hosts).toContain(`${await gatewayOf("bridge")}\thg\n`);
    expect(hosts).toContain("fd00::1\tsix\n");
    const target = await d.cli(["run", "-d", "--name", "db1", "--hostname", "dbhost", "busybox", "sleep", "60"]);
    expect(target.stderr).toBe("");
    const ip = (await d.cli(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "db1"])).stdout.trim();
    expect(await sh(["--link", "db1:db"], "cat /etc/hosts")).toContain(`${ip}\tdb dbhost db1\n`);
    expect(await sh(["--link", "db1"], "cat /etc/hosts")).toContain(`${ip}\tdb1 dbhost\n`);
    const missing = await d.cli(["run", "--rm", "--link", "nosuch:x", "busybox", "true"]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain("could not get container for nosuch");
    const host = await d.cli(["run", "--rm", "--network", "host", "--link", "db1", "busybox", "true"]);
    expect(host.stderr).toContain("conflicting options: host type networking can't be used with links");
    await d.cli(["rm", "-f", "db1"]);
  });

  test("a link on a user network is a name its DNS answers for the linking container alone", async () => {
    expect((await d.cli(["run", "-d", "--name", "db2", "--network", "outer", "busybox", "sleep", "60"])).stderr).toBe("");
    const ip = (await d.cli(["inspect", "-f", "{{.NetworkSettings.Networks.outer.IPAddress}}", "db2"])).stdout.trim();
    expect(await sh(["--network", "outer", "--link", "db2:store"], "nslookup store")).toContain(`Address: ${ip}`);
    expect(await sh(["--network", "outer"], "nslookup store")).not.toContain(`Address: ${ip}`);
    await d.cli(["rm", "-f", "db2"]);
  });

  test("--ipv6 with an IPv6 subnet, --ip6 and --mac-address", async () => {
    const made = await d.cli(["network", "create", "--ipv6", "--subnet", "fd00:b0:1::/64", "--subnet", "10.123.0.0/24", "six"]);
    expect(made.stderr).toBe("");
    const cfg = JSON.parse((await d.cli(["network", "inspect", "six"])).stdout)[0];
    expect(cfg.EnableIPv6).toBe(true);
    const out = await sh(["--network", "six", "--ip6", "fd00:b0:1::42", "--ip", "10.123.0.42", "--mac-address", "02:aa:bb:cc:dd:ee", "--name", "v6"], "ip addr show eth0");
    expect(out).toContain("inet6 fd00:b0:1::42/64");
    expect(out).toContain("inet 10.123.0.42/24");
    expect(out).toContain("link/ether 02:aa:bb:cc:dd:ee");
    const r = await d.cli(["run", "-d", "--name", "v6b", "--network", "six", "--ip6", "fd00:b0:1::43", "--mac-address", "02:aa:bb:cc:dd:ef", "busybox", "sleep", "60"]);
    expect(r.stderr).toBe("");
    const ep = JSON.parse((await d.cli(["inspect", "v6b"])).stdout)[0].NetworkSettings.Networks.six;
    expect(ep.GlobalIPv6Address).toBe("fd00:b0:1::43");
    expect(ep.MacAddress).toBe("02:aa:bb:cc:dd:ef");
    expect((await d.cli(["run", "--rm", "--network", "six", "--ip6", "fd00:b0:2::1", "busybox", "true"])).stderr).toContain("no configured subnet or ip-range contain the IP address fd00:b0:2::1");
    expect((await $`nsenter --net=${nsPath} nft list table inet berth`.text())).toContain("ip6 saddr fd00:b0:1::/64");
    expect((await $`nsenter --net=${nsPath} cat /proc/sys/net/ipv6/conf/all/forwarding`.text()).trim()).toBe("1");
    await d.cli(["rm", "-f", "v6b"]);
  });
});
