import { describe, expect, test } from "bun:test";
import { familiarString, formatReference, normalizeReference, parseReference } from "../../src/image/reference.ts";

describe("reference normalisation", () => {
  const table: [string, string, string][] = [
    ["busybox", "docker.io/library/busybox:latest", "busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"],
    ["library/busybox", "docker.io/library/busybox:latest", "busybox:latest"],
    ["docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"],
    ["index.docker.io/library/busybox:x", "docker.io/library/busybox:x", "busybox:x"],
    ["user/app", "docker.io/user/app:latest", "user/app:latest"],
    ["localhost/app", "localhost/app:latest", "localhost/app:latest"],
    ["localhost:5000/a/b:v1", "localhost:5000/a/b:v1", "localhost:5000/a/b:v1"],
    ["registry.example.com/x/y/z", "registry.example.com/x/y/z:latest", "registry.example.com/x/y/z:latest"],
    ["[::1]:5000/app:t", "[::1]:5000/app:t", "[::1]:5000/app:t"],
    ["a__b-c/d.e_f", "docker.io/a__b-c/d.e_f:latest", "a__b-c/d.e_f:latest"],
    [
      "busybox@sha256:" + "a".repeat(64),
      "docker.io/library/busybox@sha256:" + "a".repeat(64),
      "busybox@sha256:" + "a".repeat(64),
    ],
    [
      "busybox:1@sha256:" + "b".repeat(64),
      "docker.io/library/busybox:1@sha256:" + "b".repeat(64),
      "busybox:1@sha256:" + "b".repeat(64),
    ],
  ];
  for (const [input, full, familiar] of table) {
    test(input, () => {
      const ref = normalizeReference(input);
      expect(formatReference(ref)).toBe(full);
      expect(familiarString(ref)).toBe(familiar);
    });
  }

  const invalid = ["a__b.c/d", "", "UPPER", "a:b:c", "busybox:", ":tag", "-busybox", "busybox@sha256:abc", "a//b", "a/b/", "busybox:" + "t".repeat(129), "my image"];
  for (const input of invalid) {
    test(`invalid: ${JSON.stringify(input)}`, () => {
      expect(() => parseReference(input)).toThrow(/invalid reference format|invalid repository name/);
    });
  }

  test("uppercase repository names say why", () => {
    expect(() => parseReference("Busybox")).toThrow("invalid reference format: repository name must be lowercase");
  });

  test("64-hex names are refused as repository names", () => {
    expect(() => parseReference("a".repeat(64))).toThrow("cannot specify 64-byte hexadecimal strings");
  });

  test("an uppercase first component is a domain", () => {
    expect(formatReference(normalizeReference("Example/app"))).toBe("Example/app:latest");
  });
});
