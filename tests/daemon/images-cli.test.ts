// berth's own image commands through the daemon: images, tag, save, load,
// rmi, history, inspect, import from stdin.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { humanSize } from "../../src/shared/units.ts";
import { berthCmd, busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

let d: TestDaemon;
const ok = requireDaemon();

beforeAll(async () => {
  if (ok) d = await startDaemon();
});
afterAll(async () => {
  if (ok) await d.stop();
});

describe.if(ok)("image commands", () => {
  test("a fresh store lists hello-world in Docker's table", async () => {
    const r = await d.cli(["images"]);
    const [header, row] = r.stdout.split("\n");
    expect(header).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(row).toMatch(/^hello-world\s+latest\s+[0-9a-f]{12}\s+.+ ago\s+[\d.]+kB$/);
  });

  test("import from stdin with --change, then run it", async () => {
    const tar = busyboxRootfsTar(d.dir);
    const imp = Bun.spawnSync([...berthCmd, "-H", d.host, "import", "--change", "ENV GREETING=imported", "-", "bb:1"], { stdin: Bun.file(tar) });
    expect(imp.exitCode).toBe(0);
    expect(imp.stdout.toString().trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await d.cli(["run", "--rm", "bb:1", "sh", "-c", "echo $GREETING"])).stdout).toBe("imported\n");
  });

  test("tag, -q, --digests, --format", async () => {
    expect((await d.cli(["tag", "bb:1", "registry.local:5000/team/bb:2"])).code).toBe(0);
    const names = (await d.cli(["images", "--format", "{{.Repository}}:{{.Tag}}"])).stdout.trim().split("\n");
    expect(names).toContain("registry.local:5000/team/bb:2");
    const ids = (await d.cli(["images", "-q"])).stdout.trim().split("\n");
    expect(new Set(ids).size).toBe(ids.length);
    expect((await d.cli(["images", "--digests"])).stdout).toMatch(/^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID/);
  });

  test("rmi refuses an image with several tags by ID, and one a container uses", async () => {
    const id = (await d.cli(["images", "-q", "bb:1"])).stdout.trim();
    const multi = await d.cli(["rmi", id]);
    expect(multi.code).toBe(1);
    expect(multi.stderr).toContain("image is referenced in multiple repositories");
    await d.cli(["create", "--name", "user", "bb:1", "true"]);
    await d.cli(["rmi", "registry.local:5000/team/bb:2"]);
    const inUse = await d.cli(["rmi", "bb:1"]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain("conflict: unable to remove repository reference");
    await d.cli(["rm", "user"]);
  });

  test("save -o and load -i keep the image ID", async () => {
    const id = (await d.cli(["images", "-q", "--no-trunc", "bb:1"])).stdout.trim();
    const out = join(d.dir, "bb.tar");
    expect((await d.cli(["save", "-o", out, "bb:1"])).code).toBe(0);
    const rmi = await d.cli(["rmi", "bb:1"]);
    expect(rmi.stdout).toContain("Untagged: bb:1");
    expect(rmi.stdout).toContain(`Deleted: ${id}`);
    const load = await d.cli(["load", "-i", out]);
    expect(load.stdout).toBe("Loaded image: bb:1\n");
    expect((await d.cli(["images", "-q", "--no-trunc", "bb:1"])).stdout.trim()).toBe(id);
  });

  test("history and inspect", async () => {
    const h = await d.cli(["history", "bb:1"]);
    expect(h.stdout).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/m);
    const i = await d.cli(["image", "inspect", "-f", "{{.Os}}/{{.Architecture}} {{.RootFS.Type}}", "bb:1"]);
    expect(i.stdout.trim()).toBe(`linux/${process.arch === "x64" ? "amd64" : "arm64"} layers`);
  });

  test("a corrupt archive is refused and the store is unchanged", async () => {
    const before = (await d.cli(["images", "-q", "--no-trunc"])).stdout;
    const bad = join(d.dir, "bad.tar");
    await Bun.write(bad, "this is not a tar archive at all".repeat(40));
    const r = await d.cli(["load", "-i", bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.length).toBeGreaterThan(0);
    expect((await d.cli(["images", "-q", "--no-trunc"])).stdout).toBe(before);
  });

  test("system df counts images and containers like docker", async () => {
    await d.cli(["create", "--name", "dfc", "bb:1", "true"]);
    const r = await d.cli(["system", "df"]);
    expect(r.stdout).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/m);
    expect(r.stdout).toMatch(/^Images\s+\d+\s+1\s+/m);
    expect(r.stdout).toMatch(/^Containers\s+1\s+0\s+/m);
    await d.cli(["rm", "dfc"]);
  });

  test("an image's size is its files' bytes as dockerd counts them (regular files, and symlinks by their targets' length), not its tar's", async () => {
    const tar = busyboxRootfsTar(join(d.dir, "sized"));
    const id = (await d.cli(["import", tar, "sized:1"])).stdout.trim();
    let want = 0;
    for (const line of Bun.spawnSync(["tar", "-tvf", tar]).stdout.toString().split("\n")) {
      const f = line.split(/\s+/);
      if (line.startsWith("-")) want += Number(f[2]);
      else if (line.startsWith("l")) want += Buffer.byteLength(line.slice(line.indexOf(" -> ") + 4));
    }
    const size = Number((await d.cli(["image", "inspect", "-f", "{{.Size}}", id])).stdout.trim());
    expect(size).toBe(want);
    expect(size).toBeLessThan(Bun.file(tar).size);
    expect((await d.cli(["rmi", "sized:1"])).code).toBe(0);
  });

  test("system df as dockerd: a layer shared by images counts once, each image's SharedSize says so, intermediate images are left out", async () => {
    const tar = busyboxRootfsTar(join(d.dir, "df-shared"));
    const a = (await d.cli(["import", "--change", "ENV V=a", tar, "df-a:1"])).stdout.trim();
    const b = (await d.cli(["import", "--change", "ENV V=b", tar, "df-b:1"])).stdout.trim();
    // A commit makes a child image; its untagged parent is then an intermediate one, which df leaves out.
    expect((await d.cli(["run", "--name", "df-child", "df-b:1", "sh", "-c", "echo x > /x"])).code).toBe(0);
    const child = (await d.cli(["commit", "df-child", "df-child:1"])).stdout.trim();
    expect((await d.cli(["rm", "df-child"])).code).toBe(0);
    expect((await d.cli(["rmi", "df-b:1"])).code).toBe(0); // b stays, untagged, as child's parent
    const res = await fetch("http://localhost/system/df", { unix: d.socket } as RequestInit);
    const df = (await res.json()) as { LayersSize: number; Images: { Id: string; Size: number; SharedSize: number; Containers: number }[] };
    const byId = new Map(df.Images.map((i) => [i.Id, i]));
    expect(byId.has(b)).toBe(false);
    const [ia, ic] = [byId.get(a)!, byId.get(child)!];
    // a and the child share the busybox layer: both count it as shared, the child's own layer is not.
    expect(ia.SharedSize).toBe(ia.Size);
    expect(ic.SharedSize).toBe(ia.Size);
    expect(ic.Size).toBeGreaterThan(ia.Size);
    // The layers once each: the shared one is not counted per image.
    const sizes = df.Images.reduce((n, i) => n + i.Size, 0);
    expect(df.LayersSize).toBeLessThan(sizes);
    expect(df.LayersSize).toBeGreaterThanOrEqual(ic.Size);
    // The CLI's Images line shows the layers' size, as the docker CLI does.
    const line = (await d.cli(["system", "df", "--format", "{{.Type}} {{.Size}}"])).stdout.split("\n").find((l) => l.startsWith("Images "));
    expect(line).toBe(`Images ${humanSize(df.LayersSize)}`);
    expect((await d.cli(["rmi", "df-a:1", "df-child:1"])).code).toBe(0);
  });

  test("image prune: dangling only, then -a for every unused image; system prune with the docker CLI", async () => {
    const tar = busyboxRootfsTar(join(d.dir, "prune"));
    const imp = (args: string[]) => d.cli(["import", ...args, tar, "prune-me:1"]);
    const first = (await imp(["--change", "ENV V=1"])).stdout.trim();
    const second = (await imp(["--change", "ENV V=2"])).stdout.trim(); // takes the tag: the first is dangling now
    expect(first).not.toBe(second);
    const usedId = (await d.cli(["import", "--change", 'CMD ["true"]', tar, "in-use:1"])).stdout.trim();
    expect((await d.cli(["run", "--name", "holds-it", "in-use:1"])).code).toBe(0); // stopped, still there

    const dangling = await d.cli(["image", "prune", "-f"]);
    expect(dangling.stdout).toContain(`Deleted Images:\ndeleted: ${first}\n`);
    expect(dangling.stdout).toMatch(/Total reclaimed space: /);
    const ids = (await d.cli(["images", "-q", "--no-trunc"])).stdout;
    expect(ids).not.toContain(first);
    expect(ids).toContain(second);

    // Without -f it asks; "n" keeps everything.
    const asked = await d.cli(["image", "prune", "-a"], { stdin: "n\n" });
    expect(asked.stdout).toContain("WARNING! This will remove all images without at least one container associated to them.");
    expect((await d.cli(["images", "-q", "--no-trunc"])).stdout).toContain(second);

    const all = await d.cli(["image", "prune", "-a", "-f"]);
    expect(all.stdout).toContain("untagged: prune-me:1");
    expect(all.stdout).toContain(`deleted: ${second}`);
    expect(all.stdout).not.toContain(usedId); // a stopped container still uses it

    const docker = Bun.spawnSync(["/usr/local/bin/docker", "system", "prune", "-a", "-f"], { env: { ...process.env, DOCKER_HOST: d.host } });
    const out = docker.stdout.toString();
    expect(out).toContain("Deleted Containers:");
    expect(out).toContain(`deleted: ${usedId}`);
    expect((await d.cli(["ps", "-aq"])).stdout).toBe("");
  });
});
