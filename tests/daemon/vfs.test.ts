// The copied-rootfs fallback (storage driver vfs), forced with
// BERTH_STORAGE_DRIVER=vfs: containers still run, see the image's files with
// whiteouts applied, and keep their own writes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

let d: TestDaemon;
const ok = requireDaemon();

beforeAll(async () => {
  if (!ok) return;
  d = await startDaemon({ env: { BERTH_STORAGE_DRIVER: "vfs" } });
  expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox"])).code).toBe(0);
});
afterAll(async () => {
  if (ok) await d.stop();
});

describe.if(ok)("storage driver vfs", () => {
  test("info says so", async () => {
    const r = await d.cli(["info", "--format", "{{.Driver}}"]);
    expect(r.stdout.trim()).toBe("vfs");
  });

  test("containers run on a copy of the image; deletions in a committed layer stay deleted", async () => {
    expect((await d.cli(["run", "--rm", "busybox", "sh", "-c", "echo $$; ls /bin/busybox"])).stdout).toBe("1\n/bin/busybox\n");
    expect((await d.cli(["run", "--rm", "hello-world"])).code).toBe(0);
    const r = await d.cli(["run", "--name", "keep", "busybox", "sh", "-c", "echo kept > /tmp/f"]);
    expect(r.code).toBe(0);
    expect((await d.cli(["start", "-a", "keep"])).code).toBe(0);
    const cp = await d.cli(["cp", "keep:/tmp/f", "-"]);
    expect(cp.stdout).toContain("kept");
  });

  test("commit refuses clearly instead of writing a wrong layer", async () => {
    const r = await d.cli(["commit", "keep", "x:1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("commit needs overlayfs");
  });
});
