// rtnetlink from bun:ffi against the kernel, inside network namespaces this
// test makes (iproute2 only checks what berth did).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { $ } from "bun";
import { closeSync, openSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Rtnl } from "../../src/network/netlink/rtnl.ts";
import { createNetns, removeNetns } from "../../src/network/netns.ts";
import { parseIPv4, formatIP } from "../../src/network/ip.ts";

const name = `berth-t-${Math.random().toString(36).slice(2, 8)}`;
const nsA = `/run/netns/${name}`;
const tmp = mkdtempSync("/tmp/berth-netlink-");
const nsB = join(tmp, "ns-b");
let ready = false;

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (network namespaces)";
  if (Bun.spawnSync(["ip", "-V"]).exitCode !== 0) return "iproute2 (ip) is not installed";
  return undefined;
}

beforeAll(async () => {
  const why = unavailable();
  if (why) {
    if (process.env.CI === "true") throw new Error(why);
    console.warn(`skipping: ${why}`);
    return;
  }
  await $`ip netns add ${name}`.quiet();
  createNetns(nsB);
  ready = true;
});

afterAll(async () => {
  await $`ip netns del ${name}`.nothrow().quiet();
  removeNetns(nsB);
  rmSync(tmp, { recursive: true, force: true });
});

const ip4 = (s: string) => parseIPv4(s)!;
const ipJson = async (ns: string, ...args: string[]) => JSON.parse(await $`nsenter --net=${ns} ip -j ${args}`.text());

test("a bridge, a veth into another namespace, addresses, a default route: ping crosses them", async () => {
  if (!ready) return;
  const a = Rtnl.open(nsA);
  const b = Rtnl.open(nsB);
  try {
    a.createBridge("br-t0");
    const br = a.link("br-t0")!;
    expect(br.kind).toBe("bridge");
    a.setMtu(br.index, 1400);
    a.addAddress(br.index, 4, ip4("10.99.0.1"), 24);
    a.setUp(br.index);

    const fd = openSync(nsB, "r");
    try {
      a.createVeth("veth-t0", { name: "eth0", netnsFd: fd, mac: "02:42:0a:63:00:02" }, { mtu: 1400 });
    } finally {
      closeSync(fd);
    }
    const host = a.link("veth-t0")!;
    expect(host.kind).toBe("veth");
    a.setMaster(host.index, br.index);
    a.setUp(host.index);
    expect(a.link("veth-t0")!.master).toBe(br.index);
    expect(a.link("eth0")).toBeUndefined();

    const eth0 = b.link("eth0")!;
    expect(eth0.mac).toBe("02:42:0a:63:00:02");
    expect(eth0.mtu).toBe(1400);
    b.addAddress(eth0.index, 4, ip4("10.99.0.2"), 24);
    b.setUp(eth0.index);
    b.setUp(b.link("lo")!.index);
    b.addRoute({ family: 4, gateway: ip4("10.99.0.1") });

    const routes = await ipJson(nsB, "route");
    expect(routes.find((r: any) => r.dst === "default")?.gateway).toBe("10.99.0.1");
    expect(b.routes(4).some((r) => r.bits === 0 && r.gateway === ip4("10.99.0.1"))).toBe(true);
    const addrs = await ipJson(nsA, "addr", "show", "br-t0");
    expect(addrs[0].addr_info.map((x: any) => `${x.local}/${x.prefixlen}`)).toContain("10.99.0.1/24");
    expect(a.addresses(4).some((x) => x.index === br.index && formatIP(4, x.value) === "10.99.0.1" && x.bits === 24)).toBe(true);
    expect(a.routes(4).some((r) => r.bits === 24 && r.dst === ip4("10.99.0.0"))).toBe(true);

    const ping = await $`nsenter --net=${nsB} busybox ping -c 1 -W 2 10.99.0.1`.nothrow().quiet();
    expect(ping.exitCode).toBe(0);

    b.deleteAddress(eth0.index, 4, ip4("10.99.0.2"), 24);
    expect(b.addresses(4).some((x) => x.value === ip4("10.99.0.2"))).toBe(false);
  } finally {
    a.close();
    b.close();
  }
});

test("moving a link into a namespace by fd, renaming it on the way", async () => {
  if (!ready) return;
  const a = Rtnl.open(nsA);
  try {
    a.createVeth("mv-a", { name: "mv-b" });
    const fd = openSync(nsB, "r");
    try {
      a.moveToNetns(a.link("mv-b")!.index, fd, "eth9");
    } finally {
      closeSync(fd);
    }
    expect(a.link("mv-b")).toBeUndefined();
    const links = await ipJson(nsB, "link");
    expect(links.map((l: any) => l.ifname)).toContain("eth9");
    a.deleteLink(a.link("mv-a")!.index);
    expect((await ipJson(nsB, "link")).map((l: any) => l.ifname)).not.toContain("eth9");
  } finally {
    a.close();
  }
});

test("the kernel's errors come back with their errno names", () => {
  if (!ready) return;
  const a = Rtnl.open(nsA);
  try {
    a.createBridge("br-t1");
    expect(() => a.createBridge("br-t1")).toThrow(expect.objectContaining({ code: "EEXIST" }));
    expect(() => a.deleteLink(987654)).toThrow(expect.objectContaining({ code: "ENODEV" }));
    expect(a.link("no-such-link")).toBeUndefined();
    const br = a.link("br-t1")!;
    a.deleteLink(br.index);
    expect(a.link("br-t1")).toBeUndefined();
    expect(a.links().some((l) => l.name === "lo")).toBe(true);
  } finally {
    a.close();
  }
});
