// What the --userns-remap tests share: the mapping's first subordinate ids, and a
// remapped daemon whose data root is on a ramfs, where idmapped mounts are really
// refused (the chowned-copy ways).
import { expect } from "bun:test";
import { mkdtempSync, readFileSync, rmdirSync } from "node:fs";
import { busyboxRootfsTar, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

/** The first host id of berth-remap's range in /etc/subuid or /etc/subgid (made by a daemon's `--userns-remap default`). */
export function firstSubordinate(file: "subuid" | "subgid"): number {
  const line = readFileSync(`/etc/${file}`, "utf8").split("\n").find((l) => l.startsWith("berth-remap:"));
  if (!line) throw new Error(`no berth-remap line in /etc/${file}`);
  return Number(line.split(":")[1]);
}

/** A `--userns-remap default` daemon on a fresh ramfs, busybox imported; `stop` stops it and unmounts the ramfs. */
export async function remappedDaemonOnRamfs(env: Record<string, string> = {}): Promise<{ d: TestDaemon; stop: () => Promise<void> }> {
  const ramfs = mkdtempSync("/tmp/berth-test-ramfs-");
  const m = Bun.spawnSync(["mount", "-t", "ramfs", "-o", "mode=755", "berth-test", ramfs]);
  if (m.exitCode !== 0) throw new Error(`cannot mount a ramfs: ${m.stderr}`);
  const unmount = () => {
    Bun.spawnSync(["umount", "-l", ramfs]);
    rmdirSync(ramfs);
  };
  let d: TestDaemon;
  try {
    d = await startDaemon({ parent: ramfs, args: ["--userns-remap", "default"], mode: 0o711, env });
  } catch (e) {
    unmount();
    throw e;
  }
  expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest"])).code).toBe(0);
  return {
    d,
    stop: async () => {
      await d.stop();
      unmount();
    },
  };
}
