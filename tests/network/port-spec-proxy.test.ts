// -p parsing with Docker's refusals, and the UDP proxy between real sockets on loopback.
import { expect, test } from "bun:test";
import { parsePortSpec, portConfig } from "../../src/shared/port-spec.ts";
import { proxyUdp } from "../../src/network/proxy/udp.ts";
import { answer, parseQuery, RCODE } from "../../src/network/dns/message.ts";

test("-p forms become Docker's PortBindings", () => {
  expect(parsePortSpec("80")).toEqual([{ port: "80/tcp", binding: { HostIp: "", HostPort: "" } }]);
  expect(parsePortSpec("8080:80/udp")).toEqual([{ port: "80/udp", binding: { HostIp: "", HostPort: "8080" } }]);
  expect(parsePortSpec("127.0.0.1::80")).toEqual([{ port: "80/tcp", binding: { HostIp: "127.0.0.1", HostPort: "" } }]);
  expect(parsePortSpec("[::1]:8080:80")).toEqual([{ port: "80/tcp", binding: { HostIp: "::1", HostPort: "8080" } }]);
  expect(parsePortSpec("8000-8001:80-81").map((p) => [p.port, p.binding.HostPort])).toEqual([["80/tcp", "8000"], ["81/tcp", "8001"]]);
  expect(parsePortSpec("8000-8010:80")[0]!.binding.HostPort).toBe("8000-8010");
  expect(portConfig(["80"], ["81/udp"]).exposed).toEqual({ "80/tcp": {}, "81/udp": {} });
  const bad: [string, string][] = [
    ["abc", "invalid containerPort: abc"], ["70000", "invalid containerPort: 70000"], ["99999:80", "invalid hostPort: 99999"],
    ["80/icmp", "invalid proto: icmp"], ["1.2.3:80:80", "invalid IP address: 1.2.3"], ["8000-8002:80-81", "invalid ranges specified for container and host Ports: 80-81 and 8000-8002"],
  ];
  for (const [spec, message] of bad) expect(() => parsePortSpec(spec)).toThrow(message);
});

test("the UDP proxy relays datagrams both ways, each client on its own flow", async () => {
  const echo = await Bun.udpSocket({ hostname: "127.0.0.1", socket: { data: (s, d, port, addr) => void s.send(Buffer.concat([Buffer.from("echo:"), Buffer.from(d)]), port, addr) } });
  const proxy = await proxyUdp("127.0.0.1", 0, "127.0.0.1", echo.port);
  const got: string[] = [];
  const clients = await Promise.all([1, 2].map(() => Bun.udpSocket({ socket: { data: (_s, d) => void got.push(Buffer.from(d).toString()) } })));
  try {
    clients[0]!.send("one", proxy.port, "127.0.0.1");
    clients[1]!.send("two", proxy.port, "127.0.0.1");
    for (const end = Date.now() + 15_000; Date.now() < end && got.length < 2; ) await Bun.sleep(10);
    expect(got.sort()).toEqual(["echo:one", "echo:two"]);
  } finally {
    proxy.close();
    echo.close();
    for (const c of clients) c.close();
  }
});

test("DNS: a query's question is read back, answers carry it and their records", () => {
  // id 0x1234, RD, one question: web.apps A IN
  const q = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x57, 0x65, 0x62, 4, 0x61, 0x70, 0x70, 0x73, 0, 0, 1, 0, 1]);
  const parsed = parseQuery(q)!;
  expect(parsed).toMatchObject({ id: 0x1234, name: "web.apps", type: 1, class: 1 });
  const a = answer(parsed, RCODE.NOERROR, [Buffer.from([10, 0, 0, 2])]);
  expect(a.readUInt16BE(0)).toBe(0x1234);
  expect(a.readUInt16BE(2) & 0x8000).toBe(0x8000);
  expect(a.readUInt16BE(6)).toBe(1);
  expect([...a.subarray(a.length - 4)]).toEqual([10, 0, 0, 2]);
  expect(answer(parsed, RCODE.NXDOMAIN).readUInt16BE(2) & 0xf).toBe(3);
  expect(parseQuery(Buffer.from([1, 2, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]))).toBeUndefined(); // an answer, not a query
  expect(parseQuery(Buffer.from([1, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 0x61]))).toBeUndefined(); // cut short
});
