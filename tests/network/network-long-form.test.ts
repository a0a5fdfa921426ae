// --network's long form (name=…,alias=…,ip=…,ip6=…,mac-address=…,link-local-ip=… (IPv4 and IPv6),driver-opt=…,gw-priority=…),
// as the docker CLI reads it, and the endpoint's GwPriority choosing the network that gives the
// container its default route.
import { describe, expect, test } from "bun:test";
import { netnsDaemonForFile } from "./netns-daemon.ts";

const net = netnsDaemonForFile("berth-longform");

describe.skipIf(!net.ok)("--network's long form", () => {
  test("each network's endpoint gets its alias, address, MAC and driver options; gw-priority picks the gateway", async () => {
    const d = net.d;
    expect((await d.cli(["network", "create", "--subnet", "10.81.0.0/24", "lfa"])).code).toBe(0);
    expect((await d.cli(["network", "create", "--subnet", "10.82.0.0/24", "lfb"])).code).toBe(0);
    const r = await d.cli([
      "run", "-d", "--name", "lf", "--network", "name=lfa,alias=one,alias=uno,ip=10.81.0.50,mac-address=02:42:0a:51:00:99",
      "--network", "name=lfb,alias=two,driver-opt=com.example.x=y,gw-priority=5", "busybox", "sleep", "300",
    ]);
    expect(r.stderr).toBe("");
    const s = JSON.parse((await d.cli(["inspect", "lf"])).stdout)[0].NetworkSettings.Networks;
    expect(s.lfa.IPAddress).toBe("10.81.0.50");
    expect(s.lfa.MacAddress).toBe("02:42:0a:51:00:99");
    expect(s.lfa.Aliases).toEqual(expect.arrayContaining(["one", "uno"]));
    expect(s.lfb.Aliases).toEqual(expect.arrayContaining(["two"]));
    expect(s.lfb.DriverOpts).toEqual({ "com.example.x": "y" });
    // lfa comes first by name; lfb's priority gives it the default route instead.
    const route = await d.cli(["exec", "lf", "busybox", "ip", "route", "show", "default"]);
    expect(route.stdout.trim()).toMatch(/^default via 10\.82\.0\.1 dev eth1/);
    expect((await d.cli(["rm", "-f", "lf"])).code).toBe(0);

    // Without a priority the network first by name gives it, as before.
    const plain = await d.cli(["run", "--rm", "--network", "name=lfa", "--network", "lfb", "busybox", "busybox", "ip", "route", "show", "default"]);
    expect(plain.stdout.trim()).toMatch(/^default via 10\.81\.0\.1 dev eth0/);
  });

  test("link-local addresses go on the interface; network connect takes --link-local-ip, --driver-opt and --gw-priority", async () => {
    const d = net.d;
    expect((await d.cli(["run", "-d", "--name", "ll", "--network", "name=lfa,link-local-ip=169.254.7.7", "busybox", "sleep", "300"])).stderr).toBe("");
    expect((await d.cli(["exec", "ll", "busybox", "ip", "-o", "-4", "addr", "show", "eth0"])).stdout).toContain("inet 169.254.7.7/32 ");
    const ipam = (net: string) => d.cli(["inspect", "-f", `{{json .NetworkSettings.Networks.${net}.IPAMConfig}}`, "ll"]).then((r) => JSON.parse(r.stdout));
    expect((await ipam("lfa")).LinkLocalIPs).toEqual(["169.254.7.7"]);

    const c = await d.cli(["network", "connect", "--link-local-ip", "169.254.8.8", "--driver-opt", " com.example.z = w ", "--gw-priority", "10", "lfb", "ll"]);
    expect(c.stderr).toBe("");
    expect((await d.cli(["exec", "ll", "busybox", "ip", "-o", "-4", "addr", "show", "eth1"])).stdout).toContain("inet 169.254.8.8/32 ");
    expect((await ipam("lfb")).LinkLocalIPs).toEqual(["169.254.8.8"]);
    expect((await d.cli(["inspect", "-f", "{{json .NetworkSettings.Networks.lfb.DriverOpts}}", "ll"])).stdout.trim()).toBe('{"com.example.z":"w"}');
    // lfa would give the gateway by name; lfb's priority takes it over, live.
    expect((await d.cli(["exec", "ll", "busybox", "ip", "route", "show", "default"])).stdout.trim()).toMatch(/^default via 10\.82\.0\.1 dev eth1/);

    const bad: [string[], number, string][] = [
      [["network", "connect", "--link-local-ip", "nope", "lfb", "ll"], 125, `invalid argument "nope" for "--link-local-ip" flag: invalid string being converted to IP address: nope`],
      [["network", "connect", "--driver-opt", "x", "lfb", "ll"], 1, "invalid key/value pair format in driver options"],
      [["run", "--rm", "--network", "name=lfa,link-local-ip=0.0.0.0", "busybox", "true"], 125, "invalid endpoint settings:\ninvalid link-local IP address: 0.0.0.0"],
    ];
    for (const [args, code, words] of bad) {
      const r = await d.cli(args);
      expect(r.stderr).toContain(words);
      expect(r.code).toBe(code);
    }
    expect((await d.cli(["rm", "-f", "ll"])).code).toBe(0);

    // run's own --link-local-ip goes to the first network's endpoint, as the docker CLI sends it.
    const flag = await d.cli(["run", "--rm", "--network", "lfa", "--link-local-ip", "169.254.9.9", "busybox", "busybox", "ip", "-o", "-4", "addr", "show", "eth0"]);
    expect(flag.stderr).toBe("");
    expect(flag.stdout).toContain("inet 169.254.9.9/32 ");
    const flagBad: [string[], string][] = [
      [["run", "--rm", "--network", "lfa", "--link-local-ip", "nope", "busybox", "true"], `invalid argument "nope" for "--link-local-ip" flag: invalid string being converted to IP address: nope`],
      [["run", "--rm", "--network", "name=lfa,link-local-ip=169.254.7.7", "--link-local-ip", "169.254.9.9", "busybox", "true"], "conflicting options: cannot specify both --link-local-ip and per-network link-local IP addresses"],
    ];
    for (const [args, words] of flagBad) {
      const r = await d.cli(args);
      expect(r.stderr).toContain(words);
      expect(r.code).toBe(125);
    }
  });

  test("IPv6 link-local addresses (fe80::/10) go on the interface as /128, show in inspect, and answer on the link", async () => {
    const d = net.d;
    const r = await d.cli(["run", "-d", "--name", "ll6", "--network", "name=lfa,link-local-ip=fe80::7:7", "busybox", "sleep", "300"]);
    expect(r.stderr).toBe("");
    const addrs = async (dev: string) => (await d.cli(["exec", "ll6", "busybox", "ip", "-o", "-6", "addr", "show", dev])).stdout;
    expect(await addrs("eth0")).toContain("inet6 fe80::7:7/128 ");
    const ipam = (n: string) => d.cli(["inspect", "-f", `{{json .NetworkSettings.Networks.${n}.IPAMConfig}}`, "ll6"]).then((x) => JSON.parse(x.stdout));
    expect((await ipam("lfa")).LinkLocalIPs).toEqual(["fe80::7:7"]);
    // Live, through network connect, beside an IPv4 one.
    const c = await d.cli(["network", "connect", "--link-local-ip", "fe80::8:8", "--link-local-ip", "169.254.8.9", "lfb", "ll6"]);
    expect(c.stderr).toBe("");
    expect(await addrs("eth1")).toContain("inet6 fe80::8:8/128 ");
    expect((await ipam("lfb")).LinkLocalIPs).toEqual(["fe80::8:8", "169.254.8.9"]);
    // Another container on lfa reaches it at that address through its own eth0 (once the kernel's
    // duplicate address detection has let that container's own link-local address be used: a second or two).
    const ping = await d.cli(["run", "--rm", "--network", "lfa", "busybox", "sh", "-c",
      "i=0; while [ $i -lt 20 ]; do busybox ping -6 -c 1 -W 1 fe80::7:7%eth0 && exit 0; i=$((i+1)); sleep 0.5; done; exit 1"]);
    expect(ping.stdout).toContain("1 packets received");
    expect(ping.code).toBe(0);
    expect((await d.cli(["rm", "-f", "ll6"])).code).toBe(0);
  });

  test("bad fields get the docker CLI's words, and nothing is created", async () => {
    const d = net.d;
    const before = (await d.cli(["ps", "-aq"])).stdout;
    const cases: [string[], string][] = [
      [["--network", "name=lfa,bogus=1"], "invalid field key bogus"],
      [["--network", "alias=x"], "network name/id is not specified"],
      [["--network", "name=lfa,driver-opt=x"], "invalid key value pair format in driver options"],
      [["--network", "name=lfa,ip=10.81.0.5", "--ip", "10.81.0.6"], "conflicting options: cannot specify both --ip and per-network IPv4 address"],
      [["--network", "name=lfa,alias=a", "--network-alias", "b"], "conflicting options: cannot specify both --network-alias and per-network alias"],
    ];
    for (const [args, words] of cases) {
      const r = await d.cli(["run", "--rm", ...args, "busybox", "true"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain(words);
    }
    expect((await d.cli(["ps", "-aq"])).stdout).toBe(before);
  });
});
