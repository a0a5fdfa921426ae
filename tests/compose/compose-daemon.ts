// What the compose tests against a daemon share: a daemon with its bridge in a
// network namespace of the file's own (busybox imported), started before the
// file's tests and removed after them, and `berth compose` run in a directory.
import { afterAll, beforeAll, expect } from "bun:test";
import { $ } from "bun";
import { berthCmd, busyboxRootfsTar, requireDaemon, startDaemon, type RunResult, type TestDaemon } from "../fixtures/daemon.ts";

export function composeDaemonForFile(tag: string): { ok: boolean; readonly d: TestDaemon; ns: string; compose(dir: string, args: string[], env?: Record<string, string>): Promise<RunResult> } {
  const ns = `berth-${tag}-${Math.random().toString(36).slice(2, 8)}`;
  const ok = requireDaemon();
  let d: TestDaemon | undefined;
  beforeAll(async () => {
    if (!ok) return;
    await $`ip netns add ${ns}`.quiet();
    await $`ip -n ${ns} link set lo up`.quiet();
    d = await startDaemon({ bridge: true, netns: `/run/netns/${ns}` });
    expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest", "--change", 'CMD ["sh"]'])).code).toBe(0);
  });
  afterAll(async () => {
    if (ok) await d?.stop();
    await $`ip netns del ${ns}`.nothrow().quiet();
  });
  return {
    ok, ns,
    get d() {
      return d!;
    },
    async compose(dir, args, env = {}) {
      const p = Bun.spawn([...berthCmd, "-H", d!.host, "compose", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { ...process.env, ...env } });
      const timer = setTimeout(() => p.kill(9), 90_000);
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      clearTimeout(timer);
      return { stdout, stderr, code };
    },
  };
}
