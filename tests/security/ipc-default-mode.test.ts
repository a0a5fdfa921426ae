// dockerd's --default-ipc-mode (and "default-ipc-mode" in daemon.json): the IpcMode a container
// that names none is stored with, "private" unless the daemon says "shareable", in which case
// another container can join it with --ipc container:NAME. Other values get dockerd's words.
import { describe, expect, test } from "bun:test";
import { readlinkSync, writeFileSync } from "node:fs";
import { busyboxRootfsTar, requireDaemon, startDaemon } from "../fixtures/daemon.ts";
import { daemonJsonFile } from "../fixtures/daemon-config.ts";

describe("daemon config: default-ipc-mode", () => {
  const { file, cfg } = daemonJsonFile("ipc-config");

  test("private unless the flag or daemon.json says shareable; other modes refused in dockerd's words", () => {
    writeFileSync(file, "{}");
    expect(cfg([]).defaultIpcMode).toBe("private");
    expect(cfg(["--default-ipc-mode", "shareable"]).defaultIpcMode).toBe("shareable");
    expect(() => cfg(["--default-ipc-mode", "host"])).toThrow('IPC mode "host" is not supported as default value; use "shareable" or "private"');
    expect(() => cfg(["--default-ipc-mode", "bogus"])).toThrow('default IPC mode setting (bogus) is invalid; use "shareable" or "private"');
    writeFileSync(file, JSON.stringify({ "default-ipc-mode": "shareable" }));
    expect(cfg([]).defaultIpcMode).toBe("shareable");
  });
});

describe.if(requireDaemon())("a daemon started with --default-ipc-mode shareable", () => {
  test("its containers are stored shareable and can be joined; one asking for private is not", async () => {
    const d = await startDaemon({ args: ["--default-ipc-mode", "shareable"] });
    try {
      expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox"])).code).toBe(0);
      expect((await d.cli(["run", "-d", "--name", "plain", "busybox", "sleep", "1000"])).code).toBe(0);
      expect((await d.cli(["run", "-d", "--name", "own", "--ipc", "private", "busybox", "sleep", "1000"])).code).toBe(0);
      expect((await d.cli(["inspect", "-f", "{{.HostConfig.IpcMode}}", "plain", "own"])).stdout).toBe("shareable\nprivate\n");
      const pid = (await d.cli(["inspect", "-f", "{{.State.Pid}}", "plain"])).stdout.trim();
      const joined = await d.cli(["run", "--rm", "--ipc", "container:plain", "busybox", "busybox", "readlink", "/proc/self/ns/ipc"]);
      expect([joined.code, joined.stdout.trim()]).toEqual([0, readlinkSync(`/proc/${pid}/ns/ipc`)]);
      const refused = await d.cli(["run", "--rm", "--ipc", "container:own", "busybox", "true"]);
      expect(refused.code).toBe(125);
      expect(refused.stderr).toContain("non-shareable IPC (hint: use IpcMode:shareable for the donor container)");
    } finally {
      await d.stop();
    }
  });
});
