// The read-only views that cp and export read a container through, and the
// root a cp into a stopped container mounts: one a killed daemon left mounted
// is gone after its restart, and a view a removal finds in use goes with the
// container, so its directory can be deleted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { ustarHeader } from "../fixtures/tar-layers.ts";

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

  test("a cp into a stopped container held when the daemon is killed: its root is not mounted after the restart, and it starts", async () => {
    expect((await d.cli(["create", "--name", "cpinto", "busybox", "cat", "/tmp/arrived"])).code).toBe(0);
    const id = (await d.cli(["inspect", "-f", "{{.Id}}", "cpinto"])).stdout.trim();
    const dir = join(d.dir, "data/containers", id);
    // A tar whose file's bytes never come: the copy holds the stopped container's root mounted meanwhile.
    let feed!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
    feed.enqueue(ustarHeader("arrived", 1 << 20));
    feed.enqueue(new Uint8Array(4096));
    const put = fetch(`http://localhost/containers/${id}/archive?path=/tmp`, { method: "PUT", body, unix: d.socket, duplex: "half" } as RequestInit).catch((e) => e);
    await until(() => mountsUnder(dir).includes(`${dir}/merged`), "the stopped container's root mounted for the cp");
    d.kill();
    feed.error(new Error("daemon gone"));
    await put;
    expect(mountsUnder(dir)).toEqual([`${dir}/merged`]); // still there after the kill: what the restart must clear
    await d.restart();
    expect(mountsUnder(dir)).toEqual([]);
    // The container works as before: a whole cp, then a start that sees it.
    const src = join(d.dir, "arrived");
    await Bun.write(src, "whole\n");
    expect((await d.cli(["cp", src, "cpinto:/tmp/arrived"])).code).toBe(0);
    const run = await d.cli(["start", "-a", "cpinto"]);
    expect([run.code, run.stdout]).toEqual([0, "whole\n"]);
    expect((await d.cli(["rm", "cpinto"])).code).toBe(0);
    expect(mountsUnder(dir)).toEqual([]);
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
