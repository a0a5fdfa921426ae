// --userns-remap where overlayfs refuses idmapped layers: here a data root on
// ramfs, whose files cannot be idmapped (a real refusal, not a pretend one).
// The daemon then keeps one chowned copy of each image layer per mapping, as
// dockerd does, says so in info, and containers of one image share the copy.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { requireDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { firstSubordinate, remappedDaemonOnRamfs } from "./remap-fixtures.ts";

describe.if(requireDaemon())("--userns-remap where overlayfs refuses idmapped layers", () => {
  let d: TestDaemon;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ d, stop } = await remappedDaemonOnRamfs());
  });
  afterAll(async () => {
    await stop?.();
  });

  /** The layer directories holding a chowned copy (busybox's one layer). */
  const layerDirs = () => readdirSync(join(d.dir, "data", "layers")).map((l) => join(d.dir, "data", "layers", l)).filter((l) => readdirSync(l).some((n) => n.startsWith("remapped-")));

  test("info says so; containers run remapped over one chowned copy of the layer, shared, the layer itself untouched", async () => {
    const uid0 = firstSubordinate("subuid"), gid0 = firstSubordinate("subgid");
    const info = JSON.parse((await d.cli(["info", "--format", "{{json .}}"])).stdout);
    expect(info.DriverStatus).toContainEqual(["Remapped Layers", "chowned copies (one per layer and mapping)"]);
    expect(info.Warnings.join("\n")).toContain("overlayfs refused idmapped layers");
    for (const name of ["copy-a", "copy-b"]) expect((await d.cli(["run", "-d", "--name", name, "busybox", "sleep", "1000"])).code).toBe(0);
    const [layer] = layerDirs();
    const copies = readdirSync(layer!).filter((n) => n.startsWith("remapped-"));
    expect(copies).toEqual([`remapped-${uid0}.${gid0}`]);
    const copied = statSync(join(layer!, copies[0]!, "bin", "busybox"));
    expect([copied.uid, copied.gid]).toEqual([uid0, gid0]);
    expect(statSync(join(layer!, "diff", "bin", "busybox")).uid).toBe(0);
    for (const name of ["copy-a", "copy-b"]) {
      const r = await d.cli(["exec", name, "sh", "-c", "id -u; ls -i /bin/busybox; ls -ln /bin/busybox"]);
      const [id, ino, ls] = r.stdout.trim().split("\n");
      expect(id).toBe("0");
      expect(Number(ino!.trim().split(/\s+/)[0])).toBe(copied.ino); // the copy itself, through overlay
      expect(ls!.trim().split(/\s+/).slice(2, 4)).toEqual(["0", "0"]);
    }
    // cp out maps the copy's owners back too.
    const res = await fetch("http://localhost/containers/copy-a/archive?path=/bin/busybox", { unix: d.socket } as RequestInit);
    const tar = new Uint8Array(await res.arrayBuffer());
    const field = (off: number) => parseInt(new TextDecoder().decode(tar.subarray(off, off + 8)).replace(/\0.*$/, "").trim(), 8);
    expect([field(108), field(116)]).toEqual([0, 0]);
  });

  test("a copy the daemon was making when it was killed is gone after its restart, never used, and made again whole", async () => {
    expect((await d.cli(["rm", "-f", "copy-a", "copy-b"])).code).toBe(0);
    const [layer] = layerDirs();
    const name = readdirSync(layer!).find((n) => n.startsWith("remapped-"))!;
    // As a kill in the middle of the copy leaves it: no copy under its name, half of one beside it.
    const half = join(layer!, `${name}.tmp-4242-killed`);
    renameSync(join(layer!, name), half);
    rmSync(join(half, "bin"), { recursive: true });
    d.kill();
    await d.restart();
    expect(readdirSync(layer!).sort()).toEqual(["diff"]);
    const r = await d.cli(["run", "--rm", "busybox", "sh", "-c", "id -u; ls /bin/busybox"]);
    expect(r.stdout).toBe("0\n/bin/busybox\n");
    expect(readdirSync(layer!).sort()).toEqual(["diff", name]);
    expect(statSync(join(layer!, name, "bin", "busybox")).uid).toBe(firstSubordinate("subuid"));
  });

  test("the copy goes with its layer", async () => {
    const [layer] = layerDirs();
    expect((await d.cli(["rmi", "busybox"])).code).toBe(0);
    expect(existsSync(layer!)).toBe(false);
    expect(layerDirs()).toEqual([]);
  });
});
