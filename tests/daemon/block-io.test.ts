// Block I/O limits as dockerd applies them: --device-{read,write}-{bps,iops} and --blkio-weight(-device)
// written to the container's cgroup, or discarded with dockerd's warning where this host's cgroups
// cannot apply them; a weight out of range refused in dockerd's words.
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { busyboxDaemonForFile } from "../fixtures/daemon.ts";
import { blockIOWarnings } from "../../src/daemon/containers/block-io.ts";
import { blockIOSupport } from "../../src/runtime/index.ts";
import { cgroupVersion } from "../../src/runtime/cgroups/index.ts";

const f = busyboxDaemonForFile();

test("what the host cannot apply is dropped with dockerd's warning; a weight out of range is refused", () => {
  const none = { weight: false, weightDevice: false, throttle: false };
  const hc: Record<string, any> = { BlkioWeight: 300, BlkioWeightDevice: [{ Path: "/dev/vda", Weight: 20 }], BlkioDeviceReadBps: [{ Path: "/dev/vda", Rate: 1 }] };
  expect(blockIOWarnings(hc, () => none)).toEqual([
    "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.",
    "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.",
    "Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.",
  ]);
  expect(hc).toEqual({ BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [] });
  const kept = { BlkioWeight: 300, BlkioDeviceWriteIOps: [{ Path: "/dev/vda", Rate: 5 }] };
  expect(blockIOWarnings(kept, () => ({ weight: true, weightDevice: true, throttle: true }))).toEqual([]);
  expect(kept.BlkioWeight).toBe(300);
  expect(() => blockIOWarnings({ BlkioWeight: 5 }, () => none)).toThrow("Range of blkio weight is from 10 to 1000");
});

describe.if(f.ok)("block I/O limits", () => {
  // A block device every Linux host has registered: the first loop device (or any one in /sys/block).
  const name = readdirSync("/sys/block").find((n) => n.startsWith("loop")) ?? readdirSync("/sys/block")[0]!;
  const numbers = readFileSync(`/sys/block/${name}/dev`, "utf8").trim();

  test("device limits reach the container's cgroup, which it sees at /sys/fs/cgroup", async () => {
    const support = blockIOSupport();
    const v2 = cgroupVersion() === "2";
    const file = v2 ? "/sys/fs/cgroup/io.max" : "/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device";
    const r = await f.d.cli(["run", "--rm", "--device-read-bps", `/dev/${name}:1mb`, "--device-write-iops", `/dev/${name}:50`, "busybox", "sh", "-c", `cat ${file}`]);
    if (!support.throttle) {
      expect(r.stderr).toContain("Block I/O BPS read limit discarded.");
      return;
    }
    expect(r.code).toBe(0);
    if (v2) expect(r.stdout).toContain(`${numbers} rbps=1048576 wbps=max riops=max wiops=50`);
    else expect(r.stdout).toBe(`${numbers} 1048576\n${numbers} 50\n`);
  });

  test("--blkio-weight is applied where the kernel has a weight, or discarded with dockerd's warning", async () => {
    const r = await f.d.cli(["create", "--blkio-weight", "300", "busybox", "true"]);
    expect(r.code).toBe(0);
    const id = r.stdout.trim().split("\n").pop()!;
    const stored = Number((await f.d.cli(["inspect", "-f", "{{.HostConfig.BlkioWeight}}", id])).stdout.trim());
    if (blockIOSupport().weight) expect(stored).toBe(300);
    else {
      expect(r.stderr).toContain("Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.");
      expect(stored).toBe(0);
    }
    expect((await f.d.cli(["rm", id])).code).toBe(0);
    const bad = await f.d.cli(["create", "--blkio-weight", "5", "busybox", "true"]);
    expect(bad.stderr).toContain("Range of blkio weight is from 10 to 1000");
  });

  test("--storage-opt, which berth cannot apply, is refused rather than ignored", async () => {
    const r = await fetch("http://localhost/containers/create", {
      unix: f.d.socket, method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ Image: "busybox", Cmd: ["true"], HostConfig: { StorageOpt: { size: "1G" } } }),
    } as RequestInit);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toMatch(/^--storage-opt is (supported only for overlay over xfs with 'pquota' mount option|not supported by the vfs storage driver)$/);
  });
});
