import { expect, test } from "bun:test";
import { formatIP, parseIP, parsePrefix, overlaps, contains, formatPrefix, lastOf } from "../../src/network/ip.ts";

test("IPv4 and IPv6 addresses parse and print back", () => {
  for (const s of ["172.17.0.1", "0.0.0.0", "255.255.255.255", "fd00::1", "2001:db8::", "::", "::1", "2001:db8:0:1:1:1:1:1"]) {
    const ip = parseIP(s)!;
    expect(formatIP(ip.family, ip.value)).toBe(s);
  }
  expect(formatIP(6, parseIP("2001:0db8:0000:0000:0000:0000:0000:0001")!.value)).toBe("2001:db8::1");
  for (const bad of ["256.0.0.1", "1.2.3", "1.2.3.4.5", "a.b.c.d", "1::2::3", "12345::", ""]) expect(parseIP(bad)).toBeUndefined();
});

test("prefixes: host bits cleared, containment, overlap", () => {
  const p = parsePrefix("172.18.5.9/16")!;
  expect(formatPrefix(p)).toBe("172.18.0.0/16");
  expect(formatIP(4, lastOf(p))).toBe("172.18.255.255");
  expect(contains(p, 4, parseIP("172.18.200.1")!.value)).toBe(true);
  expect(contains(p, 4, parseIP("172.19.0.1")!.value)).toBe(false);
  expect(overlaps(p, parsePrefix("172.18.3.0/24")!)).toBe(true);
  expect(overlaps(p, parsePrefix("172.16.0.0/12")!)).toBe(true);
  expect(overlaps(p, parsePrefix("172.19.0.0/16")!)).toBe(false);
  expect(parsePrefix("10.0.0.0/33")).toBeUndefined();
  expect(parsePrefix("10.0.0.0")).toBeUndefined();
  expect(formatPrefix(parsePrefix("fd00:1::5/64")!)).toBe("fd00:1::/64");
});
