// Bridge networks end to end: a daemon inside a network namespace of the
// test's own (no packet leaves it), containers on the default bridge and on
// user networks, reaching each other over TCP, and Docker's refusals.
import { beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { netnsDaemonForFile, settled } from "./netns-daemon.ts";

const file = netnsDaemonForFile("berth-net");
const { ok, ns } = file;
let d: TestDaemon;
beforeAll(() => void (d = file.d));

const links = async () => (await $`ip -n ${ns} -o link`.text()).split("\n").filter(Boolean).map((l) => l.split(":")[1]!.trim().split("@")[0]!);
const get = (ip: string, path = "/hostname") => `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} 80`;

describe.if(ok)("bridge networks", () => {
  test("the default bridge: berth0 with 172.17.0.1, an address, a route and /etc/hosts in the container, inspect in Docker's shape", async () => {
    expect(await links()).toContain("berth0");
    const bridgeMac = async () => (await $`ip -n ${ns} -o link show berth0`.text()).match(/link\/ether ([0-9a-f:]{17})/)![1];
    const mac = await bridgeMac();
    const r = await d.cli(["run", "--name", "def", "busybox", "sh", "-c", "cat /proc/net/route | grep -c eth0; tail -n 1 /etc/hosts"]);
    expect(r.code).toBe(0);
    const [routes, hostsLine] = r.stdout.trim().split("\n");
    expect(Number(routes)).toBe(2); // the subnet and the default route
    expect(hostsLine).toMatch(/^172\.17\.0\.\d+\t[0-9a-f]{12}$/);
    // Stopped: the endpoint is gone, the network stays named.
    const ins = JSON.parse((await d.cli(["inspect", "def"])).stdout)[0];
    expect(ins.HostConfig.NetworkMode).toBe("bridge");
    expect(ins.NetworkSettings.Networks.bridge.IPAddress).toBe("");
    const run = await d.cli(["run", "-d", "--name", "def2", "busybox", "sleep", "30"]);
    expect(run.code).toBe(0);
    const s = JSON.parse((await d.cli(["inspect", "def2"])).stdout)[0].NetworkSettings;
    expect(s.IPAddress).toMatch(/^172\.17\.0\.\d+$/);
    expect(s.Gateway).toBe("172.17.0.1");
    expect(s.IPPrefixLen).toBe(16);
    expect(s.MacAddress).toBe(`02:42:ac:11:${s.IPAddress.split(".").slice(2).map((x: string) => Number(x).toString(16).padStart(2, "0")).join(":")}`);
    expect(s.Networks.bridge.IPAddress).toBe(s.IPAddress);
    expect(s.Networks.bridge.DNSNames).toBeNull();
    const ping = await $`nsenter --net=/run/netns/${ns} busybox ping -c 1 -W 2 ${s.IPAddress}`.nothrow().quiet();
    expect(ping.exitCode).toBe(0);
    // The bridge keeps its own MAC while ports come and go (the containers' ARP entries for the gateway stay right).
    expect(await bridgeMac()).toBe(mac);
    await d.cli(["rm", "-f", "def", "def2"]);
  });

  test("a second daemon in the namespace takes the berth0 that is there as it is, adding no address", async () => {
    const before = await $`ip -n ${ns} -4 -o addr show berth0`.text();
    const other = await startDaemon({ bridge: true, netns: `/run/netns/${ns}` });
    try {
      const subnet = (await other.cli(["network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", "bridge"])).stdout.trim();
      expect(subnet).toBe("172.17.0.0/16");
      expect(await $`ip -n ${ns} -4 -o addr show berth0`.text()).toBe(before);
    } finally {
      await other.stop();
    }
  });

  test("a user network: TCP between containers, none from another network until connect, then removal", async () => {
    expect((await d.cli(["network", "create", "--subnet", "10.77.0.0/24", "--gateway", "10.77.0.254", "front"])).code).toBe(0);
    expect((await d.cli(["network", "create", "back"])).code).toBe(0);
    const web = await d.cli(["run", "-d", "--name", "web", "--network", "front", "--ip", "10.77.0.10", "--network-alias", "www", "busybox", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]);
    expect(web.stderr).toBe("");
    const ep = JSON.parse((await d.cli(["inspect", "web"])).stdout)[0].NetworkSettings.Networks.front;
    expect(ep).toMatchObject({ IPAddress: "10.77.0.10", Gateway: "10.77.0.254", IPPrefixLen: 24, IPAMConfig: { IPv4Address: "10.77.0.10" } });
    expect(ep.Aliases).toContain("www");
    expect(ep.DNSNames).toEqual(["web", "www", web.stdout.trim().slice(0, 12)]);

    const same = await d.cli(["run", "--rm", "--network", "front", "busybox", "sh", "-c", get("10.77.0.10")]);
    expect(same.stdout).toContain(web.stdout.trim().slice(0, 12));
    const other = await d.cli(["run", "--rm", "--network", "back", "busybox", "sh", "-c", get("10.77.0.10")]);
    expect(other.stdout).not.toContain(web.stdout.trim().slice(0, 12));

    // A running container gets a new interface live.
    const c = await d.cli(["run", "-d", "--name", "client", "--network", "back", "busybox", "sleep", "60"]);
    expect(c.code).toBe(0);
    expect((await d.cli(["network", "connect", "front", "client"])).code).toBe(0);
    const viaConnect = await d.cli(["exec", "client", "sh", "-c", get("10.77.0.10")]);
    expect(viaConnect.stdout).toContain(web.stdout.trim().slice(0, 12));
    const nets = JSON.parse((await d.cli(["network", "inspect", "front"])).stdout)[0];
    expect(Object.values(nets.Containers).map((x: any) => x.Name).sort()).toEqual(["client", "web"]);
    const twice = await d.cli(["network", "connect", "front", "client"]);
    expect(twice.stderr).toContain("endpoint with name client already exists in network front");
    expect((await d.cli(["network", "disconnect", "front", "client"])).code).toBe(0);

    const busy = await d.cli(["network", "rm", "front"]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/error while removing network: network front id [0-9a-f]{64} has active endpoints/);

    const before = await links();
    expect(before.filter((l) => l.startsWith("veth")).length).toBe(2);
    await d.cli(["rm", "-f", "web", "client"]);
    const veths = async () => (await links()).filter((l) => l.startsWith("veth"));
    expect(await settled(veths, (v) => !v.length)).toEqual([]);
    const rm = await d.cli(["network", "rm", "front", "back"]);
    expect(rm.stdout).toBe("front\nback\n");
    expect((await links()).filter((l) => l.startsWith("br-"))).toEqual([]);
  });

  test("addresses are handed out once and come back when containers go", async () => {
    expect((await d.cli(["network", "create", "--subnet", "10.78.0.0/29", "tiny"])).code).toBe(0);
    // .1 is the gateway: .2 to .6 are for containers.
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await d.cli(["run", "-d", "--network", "tiny", "busybox", "sleep", "30"]);
      expect(r.stderr).toBe("");
      ids.push(r.stdout.trim());
    }
    const ips = await Promise.all(ids.map(async (id) => (await d.cli(["inspect", "-f", "{{.NetworkSettings.Networks.tiny.IPAddress}}", id])).stdout.trim()));
    expect(new Set(ips).size).toBe(5);
    const full = await d.cli(["run", "-d", "--network", "tiny", "busybox", "sleep", "30"]);
    expect(full.code).not.toBe(0);
    expect(full.stderr).toContain("no available IPv4 addresses on this network's address pools");
    const taken = await d.cli(["run", "-d", "--network", "tiny", "--ip", ips[0]!, "busybox", "sleep", "30"]);
    expect(taken.stderr).toContain("Address already in use");
    await d.cli(["rm", "-f", ids[0]!]);
    const again = await d.cli(["run", "-d", "--network", "tiny", "--ip", ips[0]!, "busybox", "sleep", "30"]);
    expect(again.stderr).toBe("");
    // The runs that failed leave their containers created, as Docker's do.
    await d.cli(["rm", "-f", ...(await d.cli(["ps", "-aq"])).stdout.split("\n").filter(Boolean)]);
    expect((await d.cli(["network", "prune", "-f"])).stdout).toContain("tiny");
  });

  test("create options: --ip-range, --label, the bridge's name; run with two --network, --dns, --dns-search, --dns-option", async () => {
    const made = await d.cli(["network", "create", "--subnet", "10.79.0.0/24", "--ip-range", "10.79.0.128/28", "--label", "team=web", "-o", "com.docker.network.bridge.name=brtest0", "opts"]);
    expect(made.stderr).toBe("");
    const n = JSON.parse((await d.cli(["network", "inspect", "opts"])).stdout)[0];
    expect(n.IPAM.Config).toEqual([{ Subnet: "10.79.0.0/24", IPRange: "10.79.0.128/28", Gateway: "10.79.0.1" }]);
    expect(n.Labels).toEqual({ team: "web" });
    expect(await links()).toContain("brtest0");
    expect((await d.cli(["network", "ls", "--filter", "label=team=web", "--format", "{{.Name}}"])).stdout).toBe("opts\n");
    expect((await d.cli(["network", "create", "second"])).code).toBe(0);
    const r = await d.cli(["run", "--rm", "--name", "two", "--network", "opts", "--network", "second", "busybox", "sh", "-c", "ip -o -4 addr | grep -v ' lo ' | wc -l; ip -o -4 addr show eth0; nslookup two"]);
    expect(r.stderr).toBe("");
    const [count, eth0] = r.stdout.split("\n");
    expect(count!.trim()).toBe("2");
    expect(eth0).toMatch(/inet 10\.79\.0\.(12[89]|1[34]\d)\/24/); // from the range, not below it
    expect(r.stdout).toMatch(/Address: 10\.79\.0\.\d+/); // its own name, on both networks
    expect(r.stdout).toMatch(/Address: 172\.\d+\.\d+\.\d+/);
    const conf = await d.cli(["run", "--rm", "--network", "opts", "--dns-search", "corp.example", "--dns-option", "ndots:3", "busybox", "cat", "/etc/resolv.conf"]);
    expect(conf.stdout).toBe("nameserver 10.79.0.1\nsearch corp.example\noptions ndots:3\n");
    // --dns on the default bridge is the container's resolver itself.
    expect((await d.cli(["run", "--rm", "--dns", "192.0.2.53", "busybox", "cat", "/etc/resolv.conf"])).stdout).toContain("nameserver 192.0.2.53\n");
    const mixed = await d.cli(["run", "--rm", "--network", "opts", "--network", "host", "busybox", "true"]);
    expect(mixed.stderr).toContain("conflicting options: cannot attach both user-defined and non-user-defined network-modes");
    expect((await d.cli(["network", "rm", "opts", "second"])).code).toBe(0);
    expect(await links()).not.toContain("brtest0");
  });

  test("a new network's subnet is picked from the default pools around the routes already there", async () => {
    const subnetOf = async (net: string) => (await d.cli(["network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", net])).stdout.trim();
    expect((await d.cli(["network", "create", "probe"])).code).toBe(0);
    const next = await subnetOf("probe");
    expect((await d.cli(["network", "rm", "probe"])).code).toBe(0);
    // The subnet it would have taken is routed elsewhere now: the next network goes around it.
    await $`ip -n ${ns} route add ${next} dev lo`.quiet();
    try {
      expect((await d.cli(["network", "create", "around"])).code).toBe(0);
      const got = await subnetOf("around");
      expect(got).toMatch(/^(172|192)\.\d+\.\d+\.\d+\/\d+$/);
      expect(got).not.toBe(next);
      expect((await d.cli(["network", "create", "--subnet", next, "onroute"])).stderr).toContain("Pool overlaps with other one on this address space");
    } finally {
      await $`ip -n ${ns} route del ${next} dev lo`.nothrow().quiet();
      await d.cli(["network", "rm", "around"]);
    }
  });

  test("bad input gets Docker's words and leaves nothing behind", async () => {
    const cases: [string[], RegExp][] = [
      [["run", "--rm", "--network", "nope", "busybox", "true"], /network nope not found/],
      [["network", "create", "--subnet", "10.1.0.0/33", "bad1"], /Invalid subnet 10\.1\.0\.0\/33 : invalid CIDR address: 10\.1\.0\.0\/33/],
      [["network", "create", "--subnet", "10.2.0.0/24", "--gateway", "10.3.0.1", "bad2"], /no matching subnet for gateway 10\.3\.0\.1/],
      [["network", "create", "--subnet", "172.17.5.0/24", "bad3"], /Pool overlaps with other one on this address space/],
      [["network", "create", "bridge"], /network with name bridge already exists/],
      [["network", "rm", "bridge"], /bridge is a pre-defined network and cannot be removed/],
      [["network", "rm", "nope"], /network nope not found/],
      [["run", "--rm", "--ip", "172.17.0.50", "busybox", "true"], /user specified IP address is supported on user defined networks only/],
      [["run", "--rm", "--network-alias", "x", "busybox", "true"], /network-scoped alias is supported only for containers in user defined networks/],
    ];
    for (const [args, message] of cases) {
      const r = await d.cli(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
    expect((await d.cli(["network", "create", "--subnet", "10.4.0.0/24", "dup"])).code).toBe(0);
    expect((await d.cli(["network", "create", "dup"])).stderr).toContain("network with name dup already exists");
    const outside = await d.cli(["run", "--rm", "--network", "dup", "--ip", "10.5.0.9", "busybox", "true"]);
    expect(outside.stderr).toContain("no configured subnet or ip-range contain the IP address 10.5.0.9");
    expect((await d.cli(["ps", "-aq"])).stdout).toBe("");
    const ls = await d.cli(["network", "ls", "--format", "{{.Name}} {{.Driver}}"]);
    expect(ls.stdout).toBe("bridge bridge\ndup bridge\nhost host\nnone null\n");
    // Through the API, Docker's statuses.
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`http://localhost/v1.44${path}`, { unix: d.socket, method, headers: { "Content-Type": "application/json" }, body: body && JSON.stringify(body) } as RequestInit);
      return [r.status, ((await r.json().catch(() => ({}))) as { message?: string }).message ?? ""] as const;
    };
    expect(await api("GET", "/networks/nope")).toEqual([404, "network nope not found"]);
    expect(await api("POST", "/networks/create", { Name: "dup" })).toEqual([409, "network with name dup already exists"]);
    expect((await api("POST", "/networks/create", { Name: "bad4", IPAM: { Config: [{ Subnet: "10.6.0.0/40" }] } }))[0]).toBe(400);
    expect(await api("POST", "/networks/create", { Name: "bad5", IPAM: { Config: [{ Subnet: "10.4.0.0/25" }] } })).toEqual([403, "Pool overlaps with other one on this address space"]);
    expect(await api("POST", "/containers/create", { Image: "busybox", HostConfig: { PortBindings: { "80/tcp": [{ HostPort: "70000" }] } } })).toEqual([400, 'invalid port specification: "70000"']);
    expect(await api("POST", "/containers/create", { Image: "busybox", HostConfig: { PortBindings: { "eighty/tcp": [] } } })).toEqual([400, 'invalid port specification: "eighty/tcp"']);
    const [created, id] = await (async () => {
      const r = await fetch("http://localhost/v1.44/containers/create", { unix: d.socket, method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ Image: "busybox", Cmd: ["sleep", "30"], HostConfig: { NetworkMode: "dup" } }) } as RequestInit);
      return [r.status, ((await r.json()) as { Id: string }).Id] as const;
    })();
    expect(created).toBe(201);
    expect((await api("POST", `/containers/${id}/start`))[0]).toBe(204);
    expect(await api("POST", "/networks/dup/connect", { Container: id })).toEqual([403, `endpoint with name ${(await d.cli(["inspect", "-f", "{{.Name}}", id])).stdout.trim().slice(1)} already exists in network dup`]);
    const inUse = await api("DELETE", "/networks/dup");
    expect(inUse[0]).toBe(403);
    expect(inUse[1]).toMatch(/has active endpoints$/);
    await d.cli(["rm", "-f", id]);
    expect(await api("POST", "/networks/dup/disconnect", { Container: "nope" })).toEqual([404, "No such container: nope"]);
    await d.cli(["network", "rm", "dup"]);
    const left = async () => (await links()).filter((l) => l.startsWith("br-") || l.startsWith("veth"));
    expect(await settled(left, (v) => !v.length)).toEqual([]);
  });
  test("system prune removes the networks no running container is on, as docker's does", async () => {
    expect((await d.cli(["network", "create", "idle-net"])).code).toBe(0);
    const idleBridge = `br-${JSON.parse((await d.cli(["network", "inspect", "idle-net"])).stdout)[0].Id.slice(0, 12)}`;
    expect(await links()).toContain(idleBridge);
    expect((await d.cli(["network", "create", "busy-net"])).code).toBe(0);
    expect((await d.cli(["run", "-d", "--name", "on-busy", "--network", "busy-net", "busybox", "sleep", "60"])).code).toBe(0);
    const asked = await d.cli(["system", "prune"], { stdin: "n\n" });
    expect(asked.stdout).toContain("  - all stopped containers\n  - all networks not used by at least one container\n");
    expect((await d.cli(["network", "ls", "--format", "{{.Name}}"])).stdout).toContain("idle-net\n");
    const pruned = await d.cli(["system", "prune", "-f"]);
    expect(pruned.stdout).toContain("Deleted Networks:\nidle-net\n\n");
    const names = (await d.cli(["network", "ls", "--format", "{{.Name}}"])).stdout.split("\n");
    expect(names).toEqual(expect.arrayContaining(["bridge", "host", "none", "busy-net"]));
    expect(names).not.toContain("idle-net");
    expect(await links()).not.toContain(idleBridge);
    expect((await d.cli(["rm", "-f", "on-busy"])).code).toBe(0);
    expect((await d.cli(["network", "rm", "busy-net"])).code).toBe(0);
  });
});
