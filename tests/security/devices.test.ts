// Device rules: which device nodes a container may make and open. The v1
// rules are tested on this host's devices hierarchy through the daemon; the
// v2 eBPF program on a cgroup2 directory the test makes (the unified tree of a
// hybrid host, or the root of a pure v2 one).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { deviceProgram } from "../../src/runtime/devices/bpf-program.ts";
import { deviceProgramCount } from "../../src/runtime/devices/bpf.ts";
import { containerDeviceRules, defaultDeviceRules, parseDeviceCgroupRule, v1RuleLine } from "../../src/runtime/devices/rules.ts";
import { CgroupV2 } from "../../src/runtime/cgroups/v2.ts";
import { cgroupVersion } from "../../src/runtime/cgroups/index.ts";

// c 10:237: outside Docker's allow list, and openable by root on this VM (block devices are not).
const loopControl = "/dev/loop-control";

describe("device rules", () => {
  test("Docker's defaults: deny all, mknod of anything, open only the standard nodes", () => {
    expect(defaultDeviceRules.map(v1RuleLine)).toEqual([
      "a", "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
      "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
    ]);
    expect(defaultDeviceRules[0]!.allow).toBe(false);
    expect(containerDeviceRules(true).map(v1RuleLine)).toEqual(["a"]);
  });

  test("--device-cgroup-rule parses Docker's syntax and refuses anything else with its message", () => {
    expect(parseDeviceCgroupRule("c 42:* rmw")).toEqual({ allow: true, type: "c", major: 42, minor: undefined, access: "rmw" });
    expect(parseDeviceCgroupRule("b *:* m")).toEqual({ allow: true, type: "b", major: undefined, minor: undefined, access: "m" });
    for (const bad of ["x 1:2 r", "c 1:2", "c 1:2 rwx", "c 1:2 rr", "c a:2 r"]) {
      expect(() => parseDeviceCgroupRule(bad)).toThrow(`invalid device cgroup rule format: '${bad}'`);
    }
  });

  test("the eBPF program: none for allow-all, instructions ending in exit otherwise", () => {
    expect(deviceProgram(containerDeviceRules(true))).toBeUndefined();
    const prog = deviceProgram(defaultDeviceRules)!;
    expect(prog.length % 8).toBe(0);
    expect(prog[prog.length - 8]).toBe(0x95);
    expect(() => deviceProgram([{ allow: true, type: "c", major: 1, minor: 3, access: "rwm" }])).toThrow();
  });
});

/** A cgroup2 mount where this test may make a cgroup, or why there is none. */
function cgroup2Root(): string | { why: string } {
  if (process.getuid?.() !== 0) return { why: "attaching a device program needs root" };
  for (const dir of ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]) {
    if (existsSync(join(dir, "cgroup.procs")) && readFileSync("/proc/mounts", "utf8").includes(` ${dir} cgroup2 `)) return dir;
  }
  return { why: "no cgroup2 hierarchy is mounted" };
}

describe("cgroup v2 device program", () => {
  const root = cgroup2Root();
  if (typeof root !== "string" && process.env.CI === "true") throw new Error(root.why);
  const can = typeof root === "string";
  if (!can) console.warn(`skipping the v2 device program: ${root.why}`);
  const name = `berth-devtest-${process.pid}`;
  const dir = can ? join(root, name) : "";
  afterAll(() => {
    if (can && existsSync(dir)) rmdirSync(dir);
  });

  /** Opens `path` for reading from a shell placed in the cgroup first; "" when it could. */
  const openFromCgroup = (path: string) => {
    const r = Bun.spawnSync(["sh", "-c", `echo $$ > ${dir}/cgroup.procs && exec 3<${path}`]);
    return r.exitCode === 0 ? "" : r.stderr.toString();
  };

  test.if(can)("denies an open outside the allow list, allows the list and --device rules, and replaces itself", () => {
    mkdirSync(dir);
    const cg = new CgroupV2(name, { devices: containerDeviceRules(false) }, root as string);
    cg.applyLimits();
    expect(deviceProgramCount(dir)).toBe(1);
    expect(openFromCgroup("/dev/null")).toBe("");
    expect(openFromCgroup(loopControl)).toContain("Operation not permitted");

    // The same rules plus one for the node: it opens, and the old program is gone.
    new CgroupV2(name, { devices: containerDeviceRules(false, [parseDeviceCgroupRule("c 10:237 r")]) }, root as string).applyLimits();
    expect(deviceProgramCount(dir)).toBe(1);
    expect(openFromCgroup(loopControl)).toBe("");
    // Read only: opening for writing is still refused.
    expect(Bun.spawnSync(["sh", "-c", `echo $$ > ${dir}/cgroup.procs && exec 3<>${loopControl}`]).exitCode).not.toBe(0);

    // Privileged: no program at all.
    new CgroupV2(name, { devices: containerDeviceRules(true) }, root as string).applyLimits();
    expect(deviceProgramCount(dir)).toBe(0);
    expect(openFromCgroup(loopControl)).toBe("");
  });
});

describe.if(requireDaemon())("devices in containers", () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startDaemon();
    const imp = await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest", "--change", 'CMD ["sh"]']);
    expect(imp.code).toBe(0);
  });
  afterAll(async () => {
    await d?.stop();
  });

  const run = (flags: string[], script: string) => d.cli(["run", "--rm", ...flags, "busybox", "sh", "-c", script]);

  test("a default container may make a node but not open one outside the allow list", async () => {
    const r = await run([], `/bin/busybox mknod /tmp/l c 10 237 && echo made; (exec 3</tmp/l) && echo OPENED; /bin/busybox mknod /tmp/b b 7 0 && echo made-block; (exec 3</tmp/b) && echo BLOCK-OPENED; echo x > /dev/null && echo null-ok; ls /dev`);
    expect(r.stdout).toContain("made");
    expect(r.stdout).not.toContain("OPENED");
    expect(r.stderr).toContain("Operation not permitted");
    expect(r.stdout).toContain("made-block"); // the host's loop0, which the host's root may open here: refused by the rules
    expect(r.stdout).not.toContain("BLOCK-OPENED");
    expect(r.stdout).toContain("null-ok");
    expect(r.stdout).not.toContain("loop-control");
    // The container's terminal, /dev/tty, opens.
    const tty = await run(["-t"], "exec 3</dev/tty && echo tty-ok");
    expect(tty.stdout).toContain("tty-ok");
  });

  test("the container's cgroup holds Docker's rules (v1)", async () => {
    if (cgroupVersion() !== "1") return; // v2 is covered above, on a cgroup2 directory
    const created = await d.cli(["run", "-d", "busybox", "sleep", "30"]);
    const id = created.stdout.trim();
    try {
      const pid = (await d.cli(["inspect", "-f", "{{.State.Pid}}", id])).stdout.trim();
      const path = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").find((l) => /:devices:/.test(l))!.split(":")[2];
      const rules = readFileSync(`/sys/fs/cgroup/devices${path}/devices.list`, "utf8");
      expect(rules).not.toContain("a *:* rwm");
      expect(rules).toContain("c 1:3 rwm");
      expect(rules).toContain("c 136:* rwm");
      expect(rules).toContain("b *:* m");
    } finally {
      await d.cli(["rm", "-f", id]);
    }
  });

  test("--device makes the node (renamed, with its access) and allows only that access", async () => {
    const r = await run(["--device", `${loopControl}:/dev/lc:r`], `ls -l /dev/lc; exec 3</dev/lc && echo READ-OK; exec 4<>/dev/lc && echo RW-OK`);
    expect(r.stdout).toMatch(/^c.* 10, +237 .*\/dev\/lc$/m);
    expect(r.stdout).toContain("READ-OK");
    expect(r.stdout).not.toContain("RW-OK");
    const full = await run(["--device", loopControl], `exec 4<>${loopControl} && echo RW-OK`);
    expect(full.stdout).toContain("RW-OK");
  });

  test("--device-cgroup-rule allows a node the container makes itself", async () => {
    const r = await run(["--device-cgroup-rule", "c 10:237 rw"], `/bin/busybox mknod /tmp/l c 10 237; exec 3</tmp/l && echo OPENED`);
    expect(r.stdout).toContain("OPENED");
  });

  test("--privileged sees the host's devices, may mount, and holds every capability the engine has", async () => {
    const r = await run(["--privileged"], `exec 3<${loopControl} && echo LOOP-OK; mkdir -p /mnt && /bin/busybox mount -t tmpfs t /mnt && echo MOUNTED; grep -E '^Cap(Eff|Inh)' /proc/self/status`);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("LOOP-OK");
    expect(r.stdout).toContain("MOUNTED");
    const own = /^CapPrm:\s*(\S+)$/m.exec(readFileSync("/proc/self/status", "utf8"))![1];
    expect(r.stdout).toContain(`CapEff:\t${own}`);
    expect(r.stdout).toContain("CapInh:\t0000000000000000");
    const plain = await run([], `mkdir -p /mnt && /bin/busybox mount -t tmpfs t /mnt && echo MOUNTED`);
    expect(plain.stdout).not.toContain("MOUNTED");
  });

  test("--privileged has no masked or read-only paths and a writable /sys; a default container has them", async () => {
    // What /proc/mounts says of /sys, whether /proc/keys is masked (a bind over it), and whether /proc/sys takes a write
    // (the domain name: namespaced, the host's stays as it is).
    const script = `grep -E '^[^ ]+ /sys [^ ]+ (rw|ro),' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; grep -c ' /proc/keys ' /proc/mounts; echo x > /proc/sys/kernel/domainname && echo PROCSYS-RW`;
    const hostDomain = readFileSync("/proc/sys/kernel/domainname", "utf8");
    const privileged = await run(["--privileged"], script);
    expect(privileged.stdout.trim().split("\n")).toEqual(["rw", "0", "PROCSYS-RW"]);
    const plain = await run([], script);
    expect(plain.stdout.trim().split("\n")).toEqual(["ro", "1"]);
    expect(readFileSync("/proc/sys/kernel/domainname", "utf8")).toBe(hostDomain);
  });

  test("bad device options: Docker's messages, and nothing left running", async () => {
    const missing = await run(["--device", "/dev/berth-no-such-device"], "true");
    expect(missing.stderr).toContain('error gathering device information while adding custom device "/dev/berth-no-such-device": no such file or directory');
    expect(missing.code).not.toBe(0);
    const gpus = await run(["--gpus", "all"], "true");
    expect(gpus.stderr).toContain('could not select device driver "" with capabilities: [[gpu]]');
    expect(gpus.code).toBe(125);
    const rule = await run(["--device-cgroup-rule", "x 1:2 r"], "true");
    expect(rule.stderr).toContain("invalid device cgroup format 'x 1:2 r'");
    const mode = await run(["--device", `${loopControl}:/dev/lc:rwx`], "true");
    expect(mode.stderr).toContain("invalid device mode: rwx");
    // Through the API, a malformed rule is a 400 with the daemon's wording.
    const res = await fetch("http://localhost/containers/create", {
      unix: d.socket, method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ Image: "busybox", Cmd: ["true"], HostConfig: { DeviceCgroupRules: ["c 1:2 rwq"] } }),
    } as RequestInit);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe("invalid device cgroup rule format: 'c 1:2 rwq'");
    expect((await d.cli(["ps", "-aq"])).stdout.trim()).toBe("");
  });
});
