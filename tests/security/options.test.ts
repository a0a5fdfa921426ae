// --cap-add/--cap-drop and --security-opt: what a container gets, and dockerd's
// refusals for what is unknown or not implemented (never a silent accept).
import { beforeAll, describe, expect, test } from "bun:test";
import { busyboxDaemonForFile, type TestDaemon } from "../fixtures/daemon.ts";

const daemon = busyboxDaemonForFile();

describe.if(daemon.ok)("security options", () => {
  let d: TestDaemon;
  beforeAll(() => {
    d = daemon.d;
  });

  const status = (flags: string[]) => d.cli(["run", "--rm", ...flags, "busybox", "grep", "-E", "^(CapEff|NoNewPrivs)", "/proc/self/status"]);

  test("capability names: CAP_ prefix optional, any case, ALL; the effective set follows", async () => {
    const add = await status(["--cap-add", "sys_admin", "--cap-drop", "CAP_CHOWN"]);
    // Docker's default set (a80425fb) with SYS_ADMIN (bit 21) added and CHOWN (bit 0) dropped.
    const expected = ((0xa80425fbn | (1n << 21n)) & ~1n).toString(16).padStart(16, "0");
    expect(add.stdout).toContain(`CapEff:\t${expected}`);
    const none = await status(["--cap-drop", "all"]);
    expect(none.stdout).toContain("CapEff:\t0000000000000000");
  });

  test("an unknown capability is refused at create with dockerd's message", async () => {
    const r = await d.cli(["create", "--cap-add", "CAP_FLY", "busybox", "true"]);
    expect(r.stderr).toContain('invalid CapAdd: unknown capability: "CAP_FLY"');
    const drop = await d.cli(["create", "--cap-drop", "nope", "busybox", "true"]);
    expect(drop.stderr).toContain('invalid CapDrop: unknown capability: "CAP_NOPE"');
    expect((await d.cli(["ps", "-aq"])).stdout.trim()).toBe("");
  });

  test("no-new-privileges in each spelling sets NoNewPrivs", async () => {
    for (const opt of ["no-new-privileges", "no-new-privileges=true", "no-new-privileges:true"]) {
      expect((await status(["--security-opt", opt])).stdout).toContain("NoNewPrivs:\t1");
    }
    expect((await status(["--security-opt", "no-new-privileges=false"])).stdout).toContain("NoNewPrivs:\t0");
  });

  test("unknown and unimplemented security options are refused, not ignored", async () => {
    const cases: [string, string][] = [
      ["bogus", 'Invalid --security-opt: "bogus"'],
      ["foo=bar", 'invalid --security-opt 2: "foo=bar"'],
      ["no-new-privileges=maybe", 'invalid --security-opt 2: "no-new-privileges=maybe"'],
      ["apparmor=docker-default", "AppArmor is not supported by this engine"],
      ["label=type:svirt_t", "SELinux labels are not supported by this engine"],
    ];
    for (const [opt, message] of cases) {
      const r = await d.cli(["create", "--security-opt", opt, "busybox", "true"]);
      expect(r.stderr).toContain(message);
      expect(r.code).not.toBe(0);
    }
    // The docker CLI refuses an option without a value itself; dockerd's own word for one through the API:
    const api = await fetch("http://localhost/containers/create", {
      unix: d.socket, method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ Image: "busybox", Cmd: ["true"], HostConfig: { SecurityOpt: ["bogus"] } }),
    } as RequestInit);
    expect([api.status, ((await api.json()) as { message: string }).message]).toEqual([400, 'invalid --security-opt 1: "bogus"']);
    const ok = await d.cli(["run", "--rm", "--security-opt", "seccomp=unconfined", "--security-opt", "label=disable", "busybox", "true"]);
    expect(ok.code).toBe(0);
    expect((await d.cli(["ps", "-aq"])).stdout.trim()).toBe("");
  });
});
