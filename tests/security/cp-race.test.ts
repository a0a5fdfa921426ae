// The CVE-2018-15664 class: a running container swaps a directory for a
// symlink to a host directory while `docker cp` (the archive endpoints) works
// on a path through it. Resolved by path strings, a write lands on the host and
// a read returns a host file; chrooted into the container's root, the symlink
// leads only to the container's own files.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

/**
 * Up to 150 rounds in the suite, stopping at the deadline (a loaded machine gets fewer, never a
 * timeout); the 1,000 with BERTH_CP_RACE_ROUNDS=1000 BERTH_CP_RACE_SECONDS=3600, a run of its own.
 */
const ROUNDS = Number(process.env.BERTH_CP_RACE_ROUNDS) || 150;
const SECONDS = Number(process.env.BERTH_CP_RACE_SECONDS) || 60;
/** A bound on rounds below which the race proves nothing: the run fails rather than passing on a handful. */
const MIN_ROUNDS = Math.min(ROUNDS, 20);

/** A static program that swaps two paths with renameat2(RENAME_EXCHANGE) forever; an error text if it cannot be built. */
function buildSwapper(out: string): string | undefined {
  const src = `${out}.c`;
  writeFileSync(src, [
    "#define _GNU_SOURCE",
    "#include <fcntl.h>",
    "#include <sys/syscall.h>",
    "#include <unistd.h>",
    "int main(int argc, char **argv) {",
    "  if (argc != 3) return 2;",
    "  for (;;) syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], 2 /* RENAME_EXCHANGE */);",
    "}",
  ].join("\n"));
  const cc = Bun.spawnSync(["cc", "-static", "-O2", "-o", out, src]);
  rmSync(src);
  return cc.exitCode === 0 ? undefined : cc.stderr.toString() || `cc exited ${cc.exitCode}`;
}

describe.if(requireDaemon())("cp against a container racing symlinks", () => {
  let d: TestDaemon;
  let hostDir: string;
  let tar: Uint8Array;
  let id: string;

  beforeAll(async () => {
    d = await startDaemon();
    expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest"])).code).toBe(0);
    hostDir = mkdtempSync("/tmp/berth-cprace-host-");
    writeFileSync(join(hostDir, "victim"), "original\n");
    writeFileSync(join(hostDir, "secret"), "host-secret\n");
    const src = join(d.dir, "cp-src");
    mkdirSync(src);
    writeFileSync(join(src, "victim"), "pwned\n");
    Bun.spawnSync(["tar", "-C", src, "-cf", join(d.dir, "payload.tar"), "victim"]);
    tar = readFileSync(join(d.dir, "payload.tar"));
    // /w/d flips between a real directory (holding a secret of its own) and a symlink to the host
    // directory, atomically and as fast as the kernel allows: renameat2(RENAME_EXCHANGE) in a loop.
    const why = buildSwapper(join(d.dir, "busybox-rootfs", "swap"));
    if (why) throw new Error(`cannot build the swapping program: ${why}`);
    Bun.spawnSync(["tar", "-C", join(d.dir, "busybox-rootfs"), "-cf", join(d.dir, "racer.tar"), "."]);
    expect((await d.cli(["import", join(d.dir, "racer.tar"), "racer:latest"])).code).toBe(0);
    const setup = `mkdir -p /w/d; echo container-secret > /w/d/secret; /bin/busybox ln -s ${hostDir} /w/link; exec /swap /w/d /w/link`;
    const run = await d.cli(["run", "-d", "racer", "sh", "-c", setup]);
    expect(run.code).toBe(0);
    id = run.stdout.trim();
  });
  afterAll(async () => {
    await d?.stop();
    rmSync(hostDir, { recursive: true, force: true });
  });

  const api = (method: string, path: string, body?: Uint8Array) =>
    fetch(`http://localhost/containers/${id}/archive?path=${encodeURIComponent(path)}`, { unix: d.socket, method, body } as RequestInit);

  test(`up to ${ROUNDS} rounds (${SECONDS} s) of PUT and GET archive leave the host directory untouched and unread`, async () => {
    let written = 0;
    let leaked = 0;
    let rounds = 0;
    const deadline = Date.now() + SECONDS * 1000;
    // A loaded host gets few rounds by the deadline, and few of them find the directory in place:
    // the loop goes on, to twice the deadline, until one has, so that the race was really run.
    const lastChance = Date.now() + 2 * SECONDS * 1000;
    const goOn = () => rounds < MIN_ROUNDS || Date.now() < deadline || (written === 0 && Date.now() < lastChance);
    for (; rounds < ROUNDS && goOn(); rounds++) {
      const put = await api("PUT", "/w/d", tar);
      if (put.status === 200) written++;
      else await put.arrayBuffer();
      const get = await api("GET", "/w/d/secret");
      if (get.status === 200 && Buffer.from(await get.arrayBuffer()).includes("host-secret")) leaked++;
      else if (get.status !== 200) await get.arrayBuffer();
    }
    // No write reached the host and no read returned a host file; and the race was run (writes found the directory).
    expect(readFileSync(join(hostDir, "victim"), "utf8")).toBe("original\n");
    expect(readdirSync(hostDir).sort()).toEqual(["secret", "victim"]);
    expect(leaked).toBe(0);
    expect(written).toBeGreaterThan(0);
    console.log(`cp race: ${rounds} rounds, ${written} writes into the swapped directory, no host file touched`);
  }, (2 * SECONDS + 120) * 1000 + MIN_ROUNDS * 3_000);
});
