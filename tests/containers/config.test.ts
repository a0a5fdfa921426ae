import { describe, expect, test } from "bun:test";
import { mergeConfig, normalizeHostConfig } from "../../src/daemon/containers/config.ts";
import { generateName, validateName } from "../../src/daemon/containers/names.ts";

describe("mergeConfig", () => {
  const image = { Env: ["PATH=/bin", "A=1"], Cmd: ["/bin/sh"], Entrypoint: null, WorkingDir: "/srv", User: "nobody" };

  test("the image's Cmd is used when the request has none", () => {
    const c = mergeConfig(image, { Image: "x" });
    expect(c.Cmd).toEqual(["/bin/sh"]);
    expect(c.WorkingDir).toBe("/srv");
    expect(c.User).toBe("nobody");
  });

  test("request Env overrides by name and keeps order", () => {
    const c = mergeConfig(image, { Image: "x", Env: ["A=2", "B=3"] });
    expect(c.Env).toEqual(["PATH=/bin", "A=2", "B=3"]);
  });

  test("a new Entrypoint drops the image's Cmd, as dockerd does", () => {
    expect(mergeConfig(image, { Image: "x", Entrypoint: ["/bin/echo"] }).Cmd).toBeNull();
    const both = mergeConfig(image, { Image: "x", Entrypoint: ["/bin/echo"], Cmd: ["hi"] });
    expect([both.Entrypoint, both.Cmd]).toEqual([["/bin/echo"], ["hi"]]);
  });
});

describe("normalizeHostConfig", () => {
  test("memory below 6MB is refused with Docker's message", () => {
    expect(() => normalizeHostConfig({ Memory: 1024 }, 2)).toThrow("Minimum memory limit allowed is 6MB");
  });
  test("more CPUs than the host has are refused", () => {
    expect(() => normalizeHostConfig({ NanoCpus: 3e9 }, 2)).toThrow("Range of CPUs is from 0.01 to 2.00");
  });
  test("swap without memory is refused", () => {
    expect(() => normalizeHostConfig({ MemorySwap: 64 << 20 }, 2)).toThrow("Memory limit");
  });
  test("AutoRemove with a restart policy is refused", () => {
    expect(() => normalizeHostConfig({ AutoRemove: true, RestartPolicy: { Name: "always" } }, 2)).toThrow("AutoRemove");
  });
  test("defaults are filled in", () => {
    const hc = normalizeHostConfig({}, 2);
    expect(hc.LogConfig.Type).toBe("json-file");
    expect(hc.RestartPolicy.Name).toBe("no");
  });
});

describe("names", () => {
  test("generated names avoid taken ones and match Docker's pattern", () => {
    const taken = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const n = generateName((x) => taken.has(x));
      expect(taken.has(n)).toBe(false);
      expect(validateName(n)).toBe(n);
      taken.add(n);
    }
  });
  test("invalid names are refused with Docker's wording", () => {
    expect(() => validateName("-bad")).toThrow("Invalid container name (-bad)");
    expect(validateName("/ok.name")).toBe("ok.name");
  });
});
