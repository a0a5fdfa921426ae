// A daemon with its default bridge inside a network namespace of the test
// file's own (no packet leaves it), busybox imported: made before the file's
// tests and removed after them, even when they fail.
import { afterAll, beforeAll, expect } from "bun:test";
import { $ } from "bun";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

export function netnsDaemonForFile(prefix: string, args: string[] = []): { ok: boolean; ns: string; nsPath: string; readonly d: TestDaemon } {
  const ns = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  const nsPath = `/run/netns/${ns}`;
  const ok = requireDaemon();
  let daemon: TestDaemon | undefined;
  beforeAll(async () => {
    if (!ok) return;
    await $`ip netns add ${ns}`.quiet();
    await $`ip -n ${ns} link set lo up`.quiet();
    daemon = await startDaemon({ bridge: true, netns: nsPath, args });
    expect((await daemon.cli(["import", busyboxRootfsTar(daemon.dir), "busybox:latest", "--change", 'CMD ["sh"]'])).code).toBe(0);
  });
  afterAll(async () => {
    if (ok) await daemon?.stop();
    await $`ip netns del ${ns}`.nothrow().quiet();
  });
  return {
    ok, ns, nsPath,
    get d() {
      return daemon!;
    },
  };
}

/**
 * `read()` again until `done` holds of what it gives (10 s at most), then that value: a stopped
 * container's veth goes with its namespace a moment after the stop returns.
 */
export async function settled<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > end) return v;
    await Bun.sleep(50);
  }
}
