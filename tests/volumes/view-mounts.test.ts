// The read-only views that cp and export read a container through: one a
// killed daemon left mounted is gone after its restart, and one a removal
// finds in use goes with the container, so its directory can be deleted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const ok = requireDaemon();
let d: TestDaemon;

beforeAll(async () => {
  if (!ok) return;
  d = await startDaemon();
  const r = await d.cli(["import", busyboxRootfsTar(d.dir), "busybox"]);
  if (r.code !== 0) throw new Error(`importing busybox: ${r.stderr}`);
});
afterAll(async () => {
  if (ok) await d?.stop();
});

/** Mount points under `dir` in this process's mount table (the daemon's: it runs in this namespace). */
function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter((mp) => mp.startsWith(`${dir}/`));
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 20_000; Date.now() < end; await Bun.sleep(25)) if (cond()) return;
  throw new Error(`timed out waiting for ${what}`);
}

/** A stopped container with 32 MiB in its layer: more than the socket's buffers hold, so a copy of it waits on its reader. */
async function bigContainer(name: string): Promise<{ id: string; dir: string }> {
  const r = await d.cli(["run", "--name", name, "busybox", "dd", "if=/dev/zero", "of=/big", "bs=1048576", "count=32"]);
  expect(r.code).toBe(0);
  const id = (await d.cli(["inspect", "-f", "{{.Id}}", name])).stdout.trim();
  return { id, dir: join(d.dir, "data/containers", id) };
}

/** Starts reading `path` of the daemon's API, takes one chunk and then reads no more. */
async function holdOpen(path: string): Promise<{ cancel(): Promise<void> }> {
  const res = await fetch(`http://localhost${path}`, { unix: d.socket } as RequestInit);
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  expect((await reader.read()).done).toBe(false);
  return reader;
}

const viewsIn = (dir: string) => readdirSync(dir).filter((n) => n.startsWith("view-"));

describe.if(ok)("read-only views", () => {
  test("an export held open when the daemon is killed leaves no view mounted after its restart, and the container can be removed", async () => {
    const { id, dir } = await bigContainer("viewed");
    const reader = await holdOpen(`/containers/${id}/export`);
    await until(() => mountsUnder(dir).length === 1, "the export's view mounted");
    expect(mountsUnder(dir)[0]).toStartWith(`${dir}/view-`);
    d.kill();
    await reader.cancel().catch(() => {});
    await d.restart();
    expect(mountsUnder(dir)).toEqual([]);
    expect(viewsIn(dir)).toEqual([]);
    expect((await d.cli(["rm", "viewed"])).code).toBe(0);
    expect(existsSync(dir)).toBe(false);
    // The removal's deletion of its directory (in the background) is not stopped by a view.
    await until(() => !readdirSync(join(d.dir, "data/tmp")).some((n) => n.includes(id)), "the removed container's directory deleted");
  });

  test("a removal while a copy out of the container streams takes the view with it", async () => {
    const { id, dir } = await bigContainer("copied");
    const reader = await holdOpen(`/containers/${id}/archive?path=/big`);
    await until(() => mountsUnder(dir).length === 1, "the copy's view mounted");
    expect((await d.cli(["rm", "copied"])).code).toBe(0);
    await reader.cancel().catch(() => {});
    expect(mountsUnder(join(d.dir, "data"))).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    await until(() => !readdirSync(join(d.dir, "data/tmp")).some((n) => n.includes(id)), "the removed container's directory deleted");
    // The daemon goes on serving after the stream lost its view.
    expect((await d.cli(["ps", "-a", "-q"])).code).toBe(0);
  });
});
