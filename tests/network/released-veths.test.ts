// A stopped container's veth goes with its network namespace, after the stop
// has returned. While something else holds that namespace open, the veth
// stays: its address is not handed out again meanwhile, an address asked for
// by name takes it over, and the daemon deletes it after a grace period.
import { describe, expect, test } from "bun:test";
import { $ } from "bun";
import { netnsDaemonForFile, settled } from "./netns-daemon.ts";

const net = netnsDaemonForFile("berth-released");
const { ok, ns } = net;
const veths = async () => (await $`ip -n ${ns} -o link show type veth`.text()).split("\n").filter(Boolean).map((l) => l.split(":")[1]!.trim().split("@")[0]!);
const ipOf = async (name: string) => (await net.d.cli(["inspect", "-f", "{{.NetworkSettings.Networks.rel.IPAddress}}", name])).stdout.trim();

/** Holds the namespace of the container's process open from outside, as a stray nsenter would. */
async function holdNetns(name: string): Promise<{ kill(): void }> {
  const pid = (await net.d.cli(["inspect", "-f", "{{.State.Pid}}", name])).stdout.trim();
  const holder = Bun.spawn(["nsenter", `--net=/proc/${pid}/ns/net`, "--", "sleep", "120"], { stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  const want = (await $`readlink /proc/${pid}/ns/net`.text()).trim();
  // Entered once its /proc/PID/ns/net is the container's.
  await settled(async () => (await $`readlink /proc/${holder.pid}/ns/net`.nothrow().quiet().text()).trim(), (v) => v === want);
  return holder;
}

describe.skipIf(!ok)("veths of stopped containers", () => {
  test("a veth kept by a held namespace: its address is not reused, --ip takes it over, and it goes after a while", async () => {
    expect((await net.d.cli(["network", "create", "--subnet", "10.77.0.0/28", "rel"])).code).toBe(0);
    // Stopped and removed: the veth goes with the namespace.
    expect((await net.d.cli(["run", "--rm", "--network", "rel", "busybox", "true"])).code).toBe(0);
    expect(await settled(veths, (v) => !v.length)).toEqual([]);

    expect((await net.d.cli(["run", "-d", "--name", "r1", "--network", "rel", "busybox", "sleep", "300"])).code).toBe(0);
    const ip1 = await ipOf("r1");
    const [v1] = await veths();
    const holder = await holdNetns("r1");
    try {
      expect((await net.d.cli(["rm", "-f", "r1"])).code).toBe(0);
      expect((await net.d.cli(["run", "-d", "--name", "r2", "--network", "rel", "busybox", "sleep", "300"])).code).toBe(0);
      const ip2 = await ipOf("r2");
      // Whenever r1's veth is still on the bridge, r2 did not get its address.
      if ((await veths()).includes(v1!)) expect(ip2).not.toBe(ip1);

      // Asked for by name: the lingering veth goes at once, and the address is the new container's.
      expect((await net.d.cli(["run", "-d", "--name", "r3", "--network", "rel", "--ip", ip1, "busybox", "sleep", "300"])).code).toBe(0);
      expect(await ipOf("r3")).toBe(ip1);
      expect(await veths()).not.toContain(v1);
      const r3 = await net.d.cli(["exec", "r3", "busybox", "ip", "-o", "-4", "addr", "show", "eth0"]);
      expect(r3.stdout).toContain(`inet ${ip1}/28`);

      // A veth still held after the grace period is deleted by the daemon.
      expect((await net.d.cli(["run", "-d", "--name", "r4", "--network", "rel", "busybox", "sleep", "300"])).code).toBe(0);
      const before = new Set(await veths());
      const holder4 = await holdNetns("r4");
      try {
        expect((await net.d.cli(["rm", "-f", "r4"])).code).toBe(0);
        const left = await settled(veths, (v) => v.length === before.size - 1);
        expect(left.length).toBe(before.size - 1);
      } finally {
        holder4.kill();
      }
    } finally {
      holder.kill();
      await net.d.cli(["rm", "-f", "r2", "r3", "r4"]);
    }
    expect(await settled(veths, (v) => !v.length)).toEqual([]);
    expect((await net.d.cli(["network", "rm", "rel"])).code).toBe(0);
  });
});
