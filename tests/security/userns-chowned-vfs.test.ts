// --userns-remap with the vfs storage driver (each container a full copy of its image) on a
// data root whose filesystem refuses idmapped mounts: here a ramfs, a real refusal. The copy
// is then made with its owners shifted into the mapping, as dockerd's vfs does, and mounted as
// it is; info says so, and cp both ways and export translate owners as with the idmapped way.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { requireDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { firstSubordinate, remappedDaemonOnRamfs } from "./remap-fixtures.ts";

/** uid and gid (real) of a host process, from /proc/PID/status. */
function hostIds(pid: number): [number, number] {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, "m"))![1]);
  return [field("Uid"), field("Gid")];
}

/** Owner fields (uid, gid) of the first entry of a tar. */
function tarOwner(tar: Uint8Array): [number, number] {
  const field = (off: number) => parseInt(new TextDecoder().decode(tar.subarray(off, off + 8)).replace(/\0.*$/, "").trim(), 8);
  return [field(108), field(116)];
}

describe.if(requireDaemon())("--userns-remap with vfs storage where idmapped mounts are refused", () => {
  let d: TestDaemon;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ d, stop } = await remappedDaemonOnRamfs({ BERTH_STORAGE_DRIVER: "vfs" }));
  });
  afterAll(async () => {
    await stop?.();
  });

  test("info says so; a container runs as root inside on a copy owned by its subordinate ids, the layer untouched", async () => {
    const uid0 = firstSubordinate("subuid"), gid0 = firstSubordinate("subgid");
    const info = JSON.parse((await d.cli(["info", "--format", "{{json .}}"])).stdout);
    expect(info.Driver).toBe("vfs");
    expect(info.DriverStatus).toContainEqual(["Remapped Layers", "chowned copies (one per container)"]);
    expect(info.Warnings.join("\n")).toContain("refused idmapped mounts");
    const run = await d.cli(["run", "-d", "--name", "vc", "busybox", "sh", "-c", "touch /made; sleep 1000"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const pid = Number((await d.cli(["inspect", "-f", "{{.State.Pid}}", "vc"])).stdout.trim());
    expect(hostIds(pid)).toEqual([uid0, gid0]);
    const r = await d.cli(["exec", "vc", "sh", "-c", "id -u; ls -ln /bin/busybox; touch /tmp/x && echo wrote"]);
    const [id, ls, wrote] = r.stdout.trim().split("\n");
    expect(id).toBe("0");
    expect(ls!.trim().split(/\s+/).slice(2, 4)).toEqual(["0", "0"]);
    expect(wrote).toBe("wrote");
    const upper = (await d.cli(["inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", "vc"])).stdout.trim();
    const copied = statSync(join(upper, "bin", "busybox"));
    expect([copied.uid, copied.gid]).toEqual([uid0, gid0]);
    expect(statSync(join(upper, "made")).uid).toBe(uid0);
    expect(statSync(upper).uid).toBe(uid0); // the container's "/" is its root's
    // The image's layer itself keeps the image's owners, and has no per-mapping copy beside it.
    const layers = join(d.dir, "data", "layers");
    const [layer] = readdirSync(layers);
    expect(statSync(join(layers, layer!, "diff", "bin", "busybox")).uid).toBe(0);
    expect(readdirSync(join(layers, layer!))).toEqual(["diff"]);
  });

  test("cp out and export give the container's owners; cp in writes them shifted", async () => {
    const res = await fetch("http://localhost/containers/vc/archive?path=/bin/busybox", { unix: d.socket } as RequestInit);
    expect(res.status).toBe(200);
    expect(tarOwner(new Uint8Array(await res.arrayBuffer()))).toEqual([0, 0]);
    const exp = await fetch("http://localhost/containers/vc/export", { unix: d.socket } as RequestInit);
    expect(exp.status).toBe(200);
    const tar = new Uint8Array(await exp.arrayBuffer());
    expect(tarOwner(tar)).toEqual([0, 0]);
    const src = join(d.dir, "in.txt");
    await Bun.write(src, "in\n");
    expect((await d.cli(["cp", src, "vc:/in.txt"])).code).toBe(0);
    const r = await d.cli(["exec", "vc", "sh", "-c", "ls -ln /in.txt; cat /in.txt"]);
    const [ls, body] = r.stdout.trim().split("\n");
    expect(ls!.trim().split(/\s+/).slice(2, 4)).toEqual(["0", "0"]);
    expect(body).toBe("in");
    const upper = (await d.cli(["inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", "vc"])).stdout.trim();
    expect(statSync(join(upper, "in.txt")).uid).toBe(firstSubordinate("subuid"));
  });

  test("a stopped container takes cp in with its owners, starts again and keeps its files", async () => {
    expect((await d.cli(["stop", "-t", "0", "vc"])).code).toBe(0);
    const src = join(d.dir, "stopped.txt");
    await Bun.write(src, "stopped\n");
    expect((await d.cli(["cp", src, "vc:/stopped.txt"])).code).toBe(0);
    expect((await d.cli(["start", "vc"])).code).toBe(0);
    const r = await d.cli(["exec", "vc", "sh", "-c", "ls /made /in.txt /tmp/x && id -u && ls -ln /stopped.txt"]);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 4)).toEqual(["/in.txt", "/made", "/tmp/x", "0"]);
    expect(lines[4]!.trim().split(/\s+/).slice(2, 4)).toEqual(["0", "0"]);
    expect((await d.cli(["rm", "-f", "vc"])).code).toBe(0);
  });
});
