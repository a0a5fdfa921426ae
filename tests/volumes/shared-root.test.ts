// Bind propagation on a host whose mounts are shared (systemd makes `/` rshared;
// this host's is private): the daemon runs in a mount namespace of its own where
// `/` is rshared, so the bind sources and the containers' roots sit on one
// shared mount, as on most servers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

let d: TestDaemon;
const ok = requireDaemon();

/** Runs a command in the daemon's mount namespace. */
function inDaemonNs(cmd: string): void {
  const r = Bun.spawnSync(["nsenter", "-t", String(d.pid), "-m", "--", "sh", "-c", cmd]);
  if (r.exitCode !== 0) throw new Error(`${cmd}: ${r.stderr.toString()}`);
}

/** A path as the daemon's mount namespace sees it. */
const seenByDaemon = (path: string) => `/proc/${d.pid}/root${path}`;
const daemonMounts = () => readFileSync(`/proc/${d.pid}/mountinfo`, "utf8");

async function until(cond: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 20_000; Date.now() < end; await Bun.sleep(25)) if (cond()) return;
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  if (!ok) return;
  d = await startDaemon({ sharedRoot: true });
  expect(daemonMounts().split("\n").find((l) => l.split(" ")[4] === "/")).toMatch(/ shared:\d+/);
  expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox"])).code).toBe(0);
});
afterAll(async () => {
  if (ok) await d.stop();
});

describe.if(ok)("bind propagation on a shared /", () => {
  test("rshared: a mount made in the container under the bind shows on the daemon's side; the container's root does not", async () => {
    const src = join(d.dir, "rshared-src");
    mkdirSync(src);
    const run = await d.cli(["run", "-d", "--privileged", "--name", "rshared", "-v", `${src}:/s:rshared`, "busybox", "sh", "-c", "mkdir /s/made && /bin/busybox mount -t tmpfs inner /s/made && echo from-container > /s/made/f.part && mv /s/made/f.part /s/made/f; sleep 1000"]);
    expect(run.stderr).toBe("");
    const id = run.stdout.trim();
    // The file is renamed into place once written, so seeing it means seeing its content.
    await until(() => existsSync(seenByDaemon(join(src, "made/f"))), "the container's mount under an rshared bind in the daemon's namespace");
    expect(readFileSync(seenByDaemon(join(src, "made/f")), "utf8")).toBe("from-container\n");
    const mounts = daemonMounts();
    expect(mounts).toContain(` ${join(src, "made")} `);
    // Neither the container's root nor its other mounts reached the daemon's namespace, nor this one.
    expect(mounts).not.toContain(id);
    expect(existsSync(join(src, "made/f"))).toBe(false);
    expect((await d.cli(["rm", "-f", "rshared"])).code).toBe(0);
  });

  test("rslave: a mount the daemon's side makes under the source after the start shows in the container", async () => {
    const src = join(d.dir, "rslave-src");
    mkdirSync(join(src, "sub"), { recursive: true });
    expect((await d.cli(["run", "-d", "--privileged", "--name", "rslave", "-v", `${src}:/p:rslave`, "busybox", "sleep", "1000"])).code).toBe(0);
    inDaemonNs(`mount -t tmpfs -o size=1m rslave-sub ${join(src, "sub")} && echo after-the-start > ${join(src, "sub/f")}`);
    const r = await d.cli(["exec", "rslave", "cat", "/p/sub/f"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("after-the-start\n");
    // A mount made in an rslave bind stays in the container.
    const back = await d.cli(["exec", "rslave", "sh", "-c", "mkdir -p /p/back && /bin/busybox mount -t tmpfs back /p/back 2>&1"]);
    expect(back.stdout).toBe("");
    expect(back.code).toBe(0);
    expect(daemonMounts()).not.toContain(` ${join(src, "back")} `);
    expect((await d.cli(["rm", "-f", "rslave"])).code).toBe(0);
  });

  test("shared needs a shared source mount and slave a shared or slave one, in Docker's words", async () => {
    const priv = join(d.dir, "private-src");
    const slave = join(d.dir, "slave-src");
    mkdirSync(priv);
    mkdirSync(slave);
    inDaemonNs(`mount --bind ${priv} ${priv} && mount --make-private ${priv} && mount --bind ${slave} ${slave} && mount --make-slave ${slave}`);
    const refused: [string, string][] = [
      [`${priv}:/p:rshared`, `path ${priv} is mounted on ${priv} but it is not a shared mount`],
      [`${priv}:/p:slave`, `path ${priv} is mounted on ${priv} but it is not a shared or slave mount`],
      [`${slave}:/p:shared`, `path ${slave} is mounted on ${slave} but it is not a shared mount`],
    ];
    for (const [spec, message] of refused) {
      const r = await d.cli(["run", "--rm", "-v", spec, "busybox", "true"]);
      expect(r.stderr).toContain(message);
      expect(r.code).toBe(125);
    }
    // A slave source is enough for rslave; a shared one (a directory on /) for both.
    writeFileSync(join(slave, "f"), "slave source\n");
    expect((await d.cli(["run", "--rm", "-v", `${slave}:/p:rslave`, "busybox", "cat", "/p/f"])).stdout).toBe("slave source\n");
    expect((await d.cli(["run", "--rm", "-v", `${d.dir}:/p:shared`, "busybox", "true"])).code).toBe(0);
  });
});
