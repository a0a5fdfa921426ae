// The daemon's unix socket is 0660 and owned by root and the --group (-G)
// group, dockerd's default being "docker" where the host has one; a named
// group the host lacks stops the daemon with dockerd's message.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const groupId = (name: string) => readFileSync("/etc/group", "utf8").split("\n").map((l) => l.split(":")).find((f) => f[0] === name)?.[2];

describe.if(requireDaemon())("the API socket's group", () => {
  const daemons: TestDaemon[] = [];
  afterAll(async () => {
    for (const d of daemons) await d.stop();
  });

  test("0660, root and the docker group by default (root's alone without one), or the group given", async () => {
    const dflt = await startDaemon();
    daemons.push(dflt);
    const st = statSync(dflt.socket);
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o660, 0, Number(groupId("docker") ?? 0)]);
    const given = await startDaemon({ args: ["--group", "4321"] });
    daemons.push(given);
    const g = statSync(given.socket);
    expect([g.mode & 0o777, g.uid, g.gid]).toEqual([0o660, 0, 4321]);
  });

  test("a group the host does not have is refused", async () => {
    const dir = mkdtempSync("/tmp/berth-sockgroup-");
    try {
      const p = Bun.spawn([...berthCmd, "daemon", "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"), "-H", `unix://${dir}/s.sock`,
        "--bridge", "none", "--iptables=false", "--cgroup-parent", `berth-sockgroup-${process.pid}`, "--group", "no-such-berth-group"], { stdout: "pipe", stderr: "pipe" });
      const timer = setTimeout(() => p.kill(9), 60_000);
      const code = await p.exited;
      clearTimeout(timer);
      expect(code).not.toBe(0);
      expect(await new Response(p.stderr).text()).toContain("group no-such-berth-group not found");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
