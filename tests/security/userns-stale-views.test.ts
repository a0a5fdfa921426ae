// Under --userns-remap, cp and export see a container through mounts made over
// idmapped views of its layers: a cp into a stopped container mounts its root
// (overlay over idmapped layers) for as long as the tar arrives, an export a
// read-only view. A daemon killed (-9) meanwhile leaves them mounted; its next
// start detaches them, and the container starts, copies and goes as before.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { ustarHeader } from "../fixtures/tar-layers.ts";

/** Mount points under `dir` in this process's mount table (the daemon's: it runs in this namespace). */
function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter((mp) => mp.startsWith(`${dir}/`));
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 20_000; Date.now() < end; await Bun.sleep(25)) if (cond()) return;
  throw new Error(`timed out waiting for ${what}`);
}

describe.if(requireDaemon())("--userns-remap: views a killed daemon left mounted", () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startDaemon({ args: ["--userns-remap", "default"], mode: 0o711 });
    expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest"])).code).toBe(0);
  });
  afterAll(async () => {
    await d?.stop();
  });

  const idOf = async (name: string) => (await d.cli(["inspect", "-f", "{{.Id}}", name])).stdout.trim();

  test("a cp into a stopped container and an export, both held when the daemon is killed: nothing mounted after its restart", async () => {
    const info = JSON.parse((await d.cli(["info", "--format", "{{json .}}"])).stdout);
    // The idmapped way is what this test is about: a host that refuses it has the chowned copies' own test.
    expect(info.DriverStatus).toContainEqual(["Remapped Layers", "idmapped mounts (shared by every mapping)"]);
    expect((await d.cli(["create", "--name", "target", "busybox", "cat", "/in/arrived"])).code).toBe(0);
    expect((await d.cli(["run", "--name", "exported", "busybox", "dd", "if=/dev/zero", "of=/big", "bs=1048576", "count=32"])).code).toBe(0);
    const target = join(d.dir, "data/containers", await idOf("target"));
    const exported = join(d.dir, "data/containers", await idOf("exported"));

    // The cp: a tar whose file's bytes never come, into /in of the stopped container.
    let feed!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
    feed.enqueue(ustarHeader("arrived", 1 << 20));
    feed.enqueue(new Uint8Array(4096));
    const put = fetch(`http://localhost/containers/target/archive?path=/tmp`, { method: "PUT", body, unix: d.socket, duplex: "half" } as RequestInit).catch((e) => e);
    await until(() => mountsUnder(target).includes(`${target}/merged`), "the stopped container's root mounted for the cp");
    // The export: one chunk read, then no more.
    const res = await fetch(`http://localhost/containers/exported/export`, { unix: d.socket } as RequestInit);
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    await until(() => mountsUnder(exported).some((m) => m.startsWith(`${exported}/view-`)), "the export's view mounted");

    d.kill();
    feed.error(new Error("daemon gone"));
    await reader.cancel().catch(() => {});
    await put;
    expect(mountsUnder(target)).toEqual([`${target}/merged`]); // still there after the kill: what the restart must clear
    await d.restart();
    expect(mountsUnder(target)).toEqual([]);
    expect(mountsUnder(exported)).toEqual([]);
    expect(readdirSync(target).filter((n) => n.startsWith("view-") || n.startsWith("idmap-"))).toEqual([]);
    expect(readdirSync(exported).filter((n) => n.startsWith("view-") || n.startsWith("idmap-"))).toEqual([]);

    // The containers work as before: a whole cp, a start over the layers, a removal that leaves nothing.
    const src = join(d.dir, "arrived");
    await Bun.write(src, "whole\n");
    expect((await d.cli(["cp", src, "target:/tmp/arrived"])).code).toBe(0);
    expect((await d.cli(["start", "-a", "target"])).code).toBe(1); // cat /in/arrived: no such file, and the container ran
    const r = await d.cli(["run", "--rm", "busybox", "id", "-u"]);
    expect(r.stdout.trim()).toBe("0");
    const cp = await d.cli(["cp", "target:/tmp/arrived", "-"]);
    expect(cp.stdout).toContain("whole");
    expect((await d.cli(["rm", "target", "exported"])).code).toBe(0);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(exported)).toBe(false);
    await until(() => !readdirSync(join(d.dir, "data/tmp")).some((n) => n.startsWith("removed-")), "the removed containers' directories deleted");
    expect(mountsUnder(join(d.dir, "data"))).toEqual([]);
  });

  test("a stage of idmapped views goes at the restart; a running container's root mount is left to its shim", async () => {
    // Stand-ins mounted where the daemon and a shim mount theirs (bind mounts of a scratch directory): the sweep goes by
    // where a mount is, and a shim that is starting its container has its root mounted there for a moment.
    expect((await d.cli(["create", "--name", "staged", "busybox", "true"])).code).toBe(0);
    expect((await d.cli(["run", "-d", "--name", "starting", "busybox", "sleep", "1000"])).code).toBe(0);
    const staged = join(d.dir, "data/containers", await idOf("staged"));
    const starting = join(d.dir, "data/containers", await idOf("starting"));
    const scratch = mkdtempSync(join(d.dir, "scratch-"));
    const bind = (at: string) => expect(Bun.spawnSync(["mount", "--bind", scratch, at]).exitCode).toBe(0);
    mkdirSync(join(staged, "idmap-killed", "0"), { recursive: true });
    bind(join(staged, "idmap-killed", "0"));
    bind(join(staged, "merged"));
    bind(join(starting, "merged"));
    d.kill();
    await d.restart();
    expect(mountsUnder(staged)).toEqual([]);
    expect(existsSync(join(staged, "idmap-killed"))).toBe(false);
    expect(mountsUnder(starting)).toEqual([`${starting}/merged`]);
    expect(Bun.spawnSync(["umount", join(starting, "merged")]).exitCode).toBe(0);
    expect((await d.cli(["exec", "starting", "id", "-u"])).stdout.trim()).toBe("0");
    expect((await d.cli(["rm", "-f", "staged", "starting"])).code).toBe(0);
  });
});
