// Volumes and mounts end to end: the volume commands and API, binds, named and
// anonymous volumes, tmpfs, --volumes-from, copy-up, and what is refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

let d: TestDaemon;
const ok = requireDaemon();
const applets = ["sh", "echo", "cat", "ls", "ln", "stat", "touch", "mkdir", "grep", "true", "df", "sleep", "wc", "mount", "dd"];

/** A busybox image whose layer holds `extra` (paths made by the callback in the rootfs). */
async function image(name: string, extra: (rootfs: string) => void, changes: string[] = []): Promise<void> {
  const rootfs = join(d.dir, `img-${name}`);
  mkdirSync(join(rootfs, "bin"), { recursive: true });
  mkdirSync(join(rootfs, "tmp"), { recursive: true, mode: 0o1777 });
  copyFileSync("/bin/busybox", join(rootfs, "bin/busybox"));
  for (const a of applets) symlinkSync("busybox", join(rootfs, "bin", a));
  extra(rootfs);
  const tar = join(d.dir, `${name}.tar`);
  expect(Bun.spawnSync(["tar", "--numeric-owner", "-C", rootfs, "-cf", tar, "."]).exitCode).toBe(0);
  const args = ["import", tar, `${name}:1`, "--change", 'CMD ["sh"]', ...changes.flatMap((c) => ["--change", c])];
  const r = await d.cli(args);
  expect(r.stderr).toBe("");
}

/** Waits (20 s at most) for a condition another process brings about. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 20_000; Date.now() < end; await Bun.sleep(25)) if (cond()) return;
  throw new Error(`timed out waiting for ${what}`);
}

/** The mount point holding `path`, from this process's mount table. */
function mountPointOf(path: string): string {
  let best = "/";
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mp = line.split(" ")[4];
    if (mp && (path === mp || path.startsWith(`${mp}/`)) && mp.length > best.length) best = mp;
  }
  return best;
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://localhost${path}`, { unix: d.socket, method, body: body === undefined ? undefined : JSON.stringify(body), headers: { "Content-Type": "application/json" } } as RequestInit);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  if (!ok) return;
  d = await startDaemon();
  await image("vbox", (r) => {
    mkdirSync(join(r, "data/sub"), { recursive: true });
    writeFileSync(join(r, "data/sub/owned"), "from the image\n");
    chownSync(join(r, "data/sub/owned"), 1234, 5678);
    chmodSync(join(r, "data/sub/owned"), 0o640);
    chownSync(join(r, "data"), 42, 43);
    chmodSync(join(r, "data"), 0o750);
  }, ["VOLUME /anon"]);
});
afterAll(async () => {
  if (ok) await d.stop();
});

describe.if(ok)("volume commands", () => {
  test("create, ls, inspect, rm, with labels and Docker's messages", async () => {
    expect((await d.cli(["volume", "create", "--label", "team=a", "v-one"])).stdout).toBe("v-one\n");
    // Create is idempotent, as Docker's.
    expect((await d.cli(["volume", "create", "v-one"])).code).toBe(0);
    const ls = await d.cli(["volume", "ls", "--filter", "label=team=a"]);
    expect(ls.stdout).toBe("DRIVER    VOLUME NAME\nlocal     v-one\n");
    const [v] = JSON.parse((await d.cli(["volume", "inspect", "v-one"])).stdout);
    expect(v).toMatchObject({ Driver: "local", Name: "v-one", Labels: { team: "a" }, Scope: "local", Mountpoint: join(d.dir, "data/volumes/v-one/_data") });
    expect(existsSync(v.Mountpoint)).toBe(true);
    const bad = await d.cli(["volume", "create", "../escape"]);
    expect(bad.stderr).toBe(`Error response from daemon: create ../escape: "../escape" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path\n`);
    expect(bad.code).toBe(1);
    expect((await api("POST", "/volumes/create", { Name: "x/y" })).status).toBe(400);
    expect((await api("POST", "/volumes/create", { Name: "aa", DriverOpts: { bogus: "1" } })).json.message).toBe('invalid option: "bogus"');
    const missing = await d.cli(["volume", "inspect", "nope"]);
    expect(missing.stderr).toBe("Error response from daemon: get nope: no such volume\n");
    expect(missing.code).toBe(1);
    expect((await d.cli(["volume", "rm", "v-one"])).stdout).toBe("v-one\n");
    expect((await d.cli(["volume", "rm", "v-one"])).stderr).toBe("Error response from daemon: get v-one: no such volume\n");
    expect((await d.cli(["volume", "rm", "-f", "v-one"])).code).toBe(0);
    expect(existsSync(v.Mountpoint)).toBe(false);
  });

  test("prune through an API before 1.42 removes every unused volume, named ones too", async () => {
    await d.cli(["volume", "create", "old-api-named"]);
    await d.cli(["create", "--name", "old-api-user", "-v", "old-api-used:/u", "vbox:1", "true"]);
    const prune = async (version: string) => (await api("POST", `/${version}/volumes/prune?filters=${encodeURIComponent('{"label!":["keep=1"]}')}`)).json.VolumesDeleted;
    expect(await prune("v1.44")).not.toContain("old-api-named");
    const deleted = await prune("v1.41");
    expect(deleted).toContain("old-api-named");
    expect(deleted).not.toContain("old-api-used");
    await d.cli(["rm", "-v", "old-api-user"]);
    await d.cli(["volume", "rm", "old-api-used"]);
  });

  test("prune removes unused anonymous volumes, and with --all every unused one", async () => {
    await d.cli(["volume", "create", "keep-named"]);
    const anon = (await api("POST", "/containers/create", { Image: "vbox:1", Cmd: ["true"] })).json.Id;
    const anonVol = (await api("GET", `/containers/${anon}/json`)).json.Mounts[0].Name;
    expect(anonVol).toMatch(/^[0-9a-f]{64}$/);
    // In use: prune keeps it.
    expect((await d.cli(["volume", "prune", "-f"])).stdout).toBe("Total reclaimed space: 0B\n");
    expect((await d.cli(["rm", anon])).code).toBe(0);
    const pruned = await d.cli(["volume", "prune", "-f"]);
    expect(pruned.stdout).toBe(`Deleted Volumes:\n${anonVol}\n\nTotal reclaimed space: 0B\n`);
    expect((await d.cli(["volume", "ls", "-q", "--filter", "name=keep"])).stdout).toBe("keep-named\n");
    await d.cli(["volume", "create", "--label", "keep=1", "labelled"]);
    expect((await d.cli(["volume", "prune", "-f", "--all", "--filter", "label!=keep=1"])).stdout).toContain("keep-named");
    expect((await d.cli(["volume", "ls", "-q"])).stdout).toBe("labelled\n");
    await d.cli(["create", "--name", "sysprune", "vbox:1", "true"]);
    const sys = await d.cli(["system", "prune", "-f", "--volumes"]);
    expect(sys.stdout).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Volumes:\n[0-9a-f]{64}\n\n/);
    expect((await d.cli(["volume", "prune", "-f", "--all"])).stdout).toContain("labelled");
    expect((await d.cli(["volume", "ls", "-q"])).stdout).toBe("");
  });

  test("the local driver's options: a tmpfs volume and a bind of an existing directory", async () => {
    const host = join(d.dir, "bind-vol");
    mkdirSync(host);
    writeFileSync(join(host, "there"), "host file\n");
    expect((await d.cli(["volume", "create", "-o", "type=none", "-o", "o=bind", "-o", `device=${host}`, "hostdir"])).code).toBe(0);
    expect((await d.cli(["volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=2m", "ram"])).code).toBe(0);
    const r = await d.cli(["run", "--rm", "-v", "hostdir:/h", "-v", "ram:/r", "vbox:1", "sh", "-c", "cat /h/there; echo new > /h/made; grep ' /r ' /proc/mounts"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^host file\ntmpfs \/r tmpfs rw.*size=2048k/);
    expect(readFileSync(join(host, "made"), "utf8")).toBe("new\n");
    expect((await api("POST", "/volumes/create", { Name: "half", DriverOpts: { type: "tmpfs" } })).json.message).toBe('missing required option: "device"');
    // --mount's volume-opt makes a volume with options on first use.
    const viaMount = await d.cli(["run", "--rm", "--mount", "type=volume,src=optvol,dst=/o,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=1m", "vbox:1", "grep", " /o ", "/proc/mounts"]);
    expect(viaMount.stdout).toMatch(/^tmpfs \/o tmpfs rw.*size=1024k/);
    expect(JSON.parse((await d.cli(["volume", "inspect", "-f", "{{json .Options}}", "optvol"])).stdout)).toEqual({ type: "tmpfs", device: "tmpfs", o: "size=1m" });
    // Filters: dangling (no container uses it) and driver.
    const names = async (q: string) => (await api("GET", `/volumes?filters=${encodeURIComponent(q)}`)).json.Volumes.map((v: any) => v.Name).sort();
    expect(await names('{"dangling":["true"],"name":["optvol","hostdir"]}')).toEqual(["hostdir", "optvol"]);
    await d.cli(["create", "--name", "holds-ram", "-v", "ram:/r", "vbox:1", "true"]);
    expect(await names('{"dangling":["false"],"name":["ram","hostdir"]}')).toEqual(["ram"]);
    expect(await names('{"driver":["local"],"name":["ram"]}')).toEqual(["ram"]);
    expect(await names('{"driver":["other"]}')).toEqual([]);
    await d.cli(["rm", "-v", "holds-ram"]);
    await d.cli(["volume", "rm", "optvol"]);
    await d.cli(["volume", "rm", "hostdir", "ram"]);
  });
});

describe.if(ok)("volumes with a filesystem of their own", () => {
  test("a tmpfs volume is one filesystem for the containers using it at once, mounted on the host while in use", async () => {
    expect((await d.cli(["volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=2m", "shared-ram"])).code).toBe(0);
    const data = join(d.dir, "data/volumes/shared-ram/_data");
    const mounted = () => statSync(data).dev !== statSync(join(data, "..")).dev;
    expect(mounted()).toBe(false);
    try {
      await withRamOne(data, mounted);
    } finally {
      await d.cli(["rm", "-f", "ram-one"]); // a failure above must not leave it holding its volumes for later tests
    }
    await until(() => !mounted(), "the volume's filesystem unmounted after its last user");
    // A later run gets a new, empty tmpfs, as Docker's local driver gives.
    expect((await d.cli(["run", "--rm", "-v", "shared-ram:/r", "vbox:1", "ls", "-A", "/r"])).stdout).toBe("");
    expect(mounted()).toBe(false);
    expect((await d.cli(["volume", "rm", "shared-ram"])).code).toBe(0);
  });
});

/** ram-one and a second container using the tmpfs volume at once. */
async function withRamOne(data: string, mounted: () => boolean): Promise<void> {
  expect((await d.cli(["run", "-d", "--name", "ram-one", "-v", "shared-ram:/r", "vbox:1", "sh", "-c", "echo from-one > /r/f; sleep 1000"])).code).toBe(0);
  await until(() => existsSync(join(data, "f")), "the first container's file in the volume's _data");
  expect(mounted()).toBe(true);
  // A second container at the same time sees the first one's file, and the first sees its answer.
  const two = await d.cli(["run", "--rm", "-v", "shared-ram:/r", "vbox:1", "sh", "-c", "cat /r/f; echo from-two > /r/g; grep ' /r ' /proc/mounts"]);
  expect(two.stderr).toBe("");
  expect(two.stdout).toMatch(/^from-one\ntmpfs \/r tmpfs rw.*size=2048k/);
  expect((await d.cli(["exec", "ram-one", "cat", "/r/g"])).stdout).toBe("from-two\n");
  // The second run's end left it mounted for the first; cp reads it too.
  expect(mounted()).toBe(true);
  expect((await d.cli(["cp", "ram-one:/r/g", "-"])).stdout).toContain("from-two\n");
}

describe.if(ok)("bind propagation", () => {
  test("rslave: a mount the host makes under the source after the start shows in the container; a source on a private mount is refused", async () => {
    const src = join(d.dir, "prop-src");
    mkdirSync(src);
    const sh = (cmd: string[]) => expect(Bun.spawnSync(cmd).exitCode).toBe(0);
    try {
      // A source on a shared mount of its own (this host's / is private).
      sh(["mount", "-t", "tmpfs", "-o", "size=1m", `prop-${process.pid}`, src]);
      sh(["mount", "--make-shared", src]);
      expect((await d.cli(["run", "-d", "--name", "prop", "-v", `${src}:/p:rslave`, "--mount", `type=bind,src=${src},dst=/q,bind-propagation=rprivate`, "vbox:1", "sleep", "1000"])).code).toBe(0);
      const [m] = JSON.parse((await d.cli(["inspect", "-f", "{{json .Mounts}}", "prop"])).stdout);
      expect(m).toMatchObject({ Type: "bind", Source: src, Destination: "/p", Mode: "rslave", Propagation: "rslave" });
      mkdirSync(join(src, "sub"));
      sh(["mount", "-t", "tmpfs", "-o", "size=1m", `prop-sub-${process.pid}`, join(src, "sub")]);
      writeFileSync(join(src, "sub/f"), "after the start\n");
      const r = await d.cli(["exec", "prop", "sh", "-c", "cat /p/sub/f; ls -A /q/sub"]);
      expect(r.stderr).toBe("");
      // rslave receives the host's new mount; rprivate keeps the empty directory under it.
      expect(r.stdout).toBe("after the start\n");
      // Binds made after: recursive by default, only the source's own mount with bind-recursive=disabled.
      const rec = await d.cli(["run", "--rm", "-v", `${src}:/r`, "--mount", `type=bind,src=${src},dst=/n,bind-recursive=disabled`, "vbox:1", "sh", "-c", "cat /r/sub/f; ls -A /n/sub"]);
      expect(rec.stderr).toBe("");
      expect(rec.stdout).toBe("after the start\n");
      // rshared goes both ways: a mount made in the container shows on the host.
      expect((await d.cli(["run", "-d", "--privileged", "--name", "prop-shared", "-v", `${src}:/s:rshared`, "vbox:1", "sh", "-c", "mkdir /s/made && mount -t tmpfs inner /s/made && echo from-container > /s/made/f; sleep 1000"])).code).toBe(0);
      await until(() => existsSync(join(src, "made/f")), "the container's mount under an rshared bind on the host");
      expect(readFileSync(join(src, "made/f"), "utf8")).toBe("from-container\n");
    } finally {
      await d.cli(["rm", "-f", "prop", "prop-shared"]);
      Bun.spawnSync(["umount", "-R", "-l", src]);
    }
    const priv = join(d.dir, "prop-private");
    mkdirSync(priv);
    const where = mountPointOf(priv);
    for (const [mode, needed] of [["rslave", "a shared or slave mount"], ["shared", "a shared mount"]]) {
      const bad = await d.cli(["run", "--rm", "-v", `${priv}:/p:${mode}`, "vbox:1", "true"]);
      expect(bad.stderr).toContain(`path ${priv} is mounted on ${where} but it is not ${needed}`);
      expect(bad.code).toBe(125);
    }
  });
});

describe.if(ok)("mounts in containers", () => {
  test("a named volume outlives its container, gets the image's content with owners and modes, and is in use while a container has it", async () => {
    const w = await d.cli(["run", "--name", "writer", "-v", "keep:/data", "vbox:1", "sh", "-c", "stat -c '%u:%g %a' /data /data/sub/owned; echo kept > /data/new"]);
    expect(w.stderr).toBe("");
    expect(w.stdout).toBe("42:43 750\n1234:5678 640\n");
    const id = (await d.cli(["inspect", "-f", "{{.Id}}", "writer"])).stdout.trim();
    const inUse = await api("DELETE", "/volumes/keep");
    expect(inUse.status).toBe(409);
    expect(inUse.json.message).toBe(`remove keep: volume is in use - [${id}]`);
    const [mount] = JSON.parse((await d.cli(["inspect", "-f", "{{json .Mounts}}", "writer"])).stdout);
    expect(mount).toEqual({ Type: "volume", Name: "keep", Source: join(d.dir, "data/volumes/keep/_data"), Destination: "/data", Driver: "local", Mode: "z", RW: true, Propagation: "" });
    expect((await d.cli(["ps", "-a", "--filter", "volume=keep", "--format", "{{.Names}} {{.Mounts}}"])).stdout).toMatch(/^writer keep,[0-9a-f]{14}…\n$/); // and the image's VOLUME
    expect((await d.cli(["ps", "-aq", "--filter", "volume=/nowhere"])).stdout).toBe("");
    expect((await d.cli(["rm", "-v", "writer"])).code).toBe(0);
    const r = await d.cli(["run", "--rm", "-v", "keep:/data:ro", "vbox:1", "sh", "-c", "cat /data/new /data/sub/owned; touch /data/x || echo refused"]);
    expect(r.stdout).toBe("kept\nfrom the image\nrefused\n");
    // nocopy: a new volume stays empty.
    const n = await d.cli(["run", "--rm", "--mount", "type=volume,source=fresh,target=/data,volume-nocopy", "vbox:1", "ls", "-A", "/data"]);
    expect(n.stdout).toBe("");
    await d.cli(["volume", "rm", "keep", "fresh"]);
  });

  test("anonymous volumes go with --rm and rm -v, and stay otherwise", async () => {
    const before = new Set((await d.cli(["volume", "ls", "-q"])).stdout.split("\n").filter(Boolean));
    const fresh = async () => (await d.cli(["volume", "ls", "-q"])).stdout.split("\n").filter((n) => n && !before.has(n));
    expect((await d.cli(["run", "--rm", "-v", "/scratch", "vbox:1", "touch", "/scratch/f", "/anon/f"])).code).toBe(0);
    expect(await fresh()).toEqual([]);
    await d.cli(["run", "--name", "anon-keep", "-v", "/scratch", "vbox:1", "true"]);
    expect((await fresh()).length).toBe(2); // -v /scratch and the image's VOLUME /anon
    await d.cli(["rm", "anon-keep"]);
    expect((await fresh()).length).toBe(2);
    await d.cli(["volume", "prune", "-f"]);
    await d.cli(["run", "--name", "anon-go", "-v", "named-stays:/n", "vbox:1", "true"]);
    await d.cli(["rm", "-v", "anon-go"]);
    expect(await fresh()).toEqual(["named-stays"]);
    await d.cli(["volume", "rm", "named-stays"]);
  });

  test("binds, --read-only with writable volumes, --volumes-from and a tmpfs that is empty at each start", async () => {
    const host = join(d.dir, "bind-src");
    const c = await d.cli(["run", "-d", "--name", "shared", "--read-only", "-v", `${host}:/b`, "--mount", "type=volume,target=/v", "--tmpfs", "/run:size=1m", "vbox:1", "sh", "-c", "echo b > /b/f; echo v > /v/f; ls /run; touch /run/t; touch /rootfile 2>/dev/null || echo ro-root; grep ' /run ' /proc/mounts"]);
    expect(c.code).toBe(0);
    await d.cli(["wait", "shared"]);
    expect((await d.cli(["logs", "shared"])).stdout).toMatch(/^ro-root\ntmpfs \/run tmpfs rw,nosuid,nodev,noexec.*size=1024k/);
    expect(readFileSync(join(host, "f"), "utf8")).toBe("b\n");
    await d.cli(["start", "shared"]);
    await d.cli(["wait", "shared"]);
    // /run was listed empty again on the second start.
    expect((await d.cli(["logs", "shared"])).stdout.split("\n").filter((l) => l === "t")).toEqual([]);
    const r = await d.cli(["run", "--rm", "--volumes-from", "shared:ro", "--mount", "type=tmpfs,target=/tm,tmpfs-mode=1770,tmpfs-size=1m", "vbox:1", "sh", "-c", "cat /b/f /v/f; touch /v/x 2>/dev/null || echo ro; stat -c %a /tm"]);
    expect(r.stdout).toBe("b\nv\nro\n1770\n");
    await d.cli(["rm", "-v", "shared"]);
  });

  test("-v modes rw, ro, z and Z, and --tmpfs's size and mode", async () => {
    const host = join(d.dir, "modes-src");
    mkdirSync(host);
    const r = await d.cli(["run", "--name", "modes", "-v", `${host}:/a:rw,z`, "-v", `${host}:/b:ro,Z`, "-v", "modes-vol:/c:Z", "--tmpfs", "/t:size=1m,mode=1777", "vbox:1", "sh", "-c",
      "echo a > /a/f && cat /b/f && (touch /b/g 2>/dev/null || echo b-ro) && echo c > /c/f && stat -c %a /t && (dd if=/dev/zero of=/t/big bs=1024 count=2048 2>/dev/null || echo t-full)"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("a\nb-ro\n1777\nt-full\n");
    const mounts = JSON.parse((await d.cli(["inspect", "-f", "{{json .Mounts}}", "modes"])).stdout).filter((m: any) => m.Destination !== "/anon");
    expect(mounts).toEqual([
      { Type: "bind", Source: host, Destination: "/a", Mode: "rw,z", RW: true, Propagation: "rprivate" },
      { Type: "bind", Source: host, Destination: "/b", Mode: "ro,Z", RW: false, Propagation: "rprivate" },
      { Type: "volume", Name: "modes-vol", Source: join(d.dir, "data/volumes/modes-vol/_data"), Destination: "/c", Driver: "local", Mode: "Z", RW: true, Propagation: "" },
    ]);
    await d.cli(["rm", "-v", "modes"]);
    await d.cli(["volume", "rm", "modes-vol"]);
  });

  test("bad mounts get Docker's messages and create nothing", async () => {
    const before = (await d.cli(["volume", "ls", "-q"])).stdout;
    const cases: [unknown, string][] = [
      [{ Mounts: [{ Type: "bind", Source: "/no/such/dir", Target: "/x" }] }, 'invalid mount config for type "bind": bind source path does not exist: /no/such/dir'],
      [{ Mounts: [{ Type: "bind", Source: "rel", Target: "/x" }] }, `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
      [{ Mounts: [{ Type: "volume", Target: "rel" }] }, `invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`],
      [{ Mounts: [{ Type: "volume", Target: "/x", ReadOnly: true }] }, 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'],
      [{ Mounts: [{ Type: "nfs", Target: "/x" }] }, 'invalid mount config for type "nfs": mount type unknown'],
      [{ Binds: ["made-1:/x", "made-2:/x"] }, "Duplicate mount point: /x"],
      [{ Binds: ["/tmp:/x:bogus"] }, "invalid mode: bogus"],
      [{ Binds: ["/tmp:rel"] }, `invalid volume specification: '/tmp:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
      [{ Binds: ["/tmp:/x:nocopy"] }, `invalid volume specification: '/tmp:/x:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`],
      [{ Binds: ["made-3:/x:ro,rslave"] }, `invalid volume specification: 'made-3:/x:ro,rslave': invalid mount config for type "volume": field BindOptions must not be specified`],
      [{ Binds: ["made-4:/x:ro-non-recursive"] }, `mount mode "ro-non-recursive" requires a bind mount: invalid volume specification: 'made-4:/x:ro-non-recursive'`],
      [{ Binds: ["/x:ro"] }, "invalid volume specification: '/x:ro'"],
      [{ Mounts: [{ Type: "volume", Target: "/x", ReadOnly: true, VolumeOptions: { NoCopy: true } }] }, 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'],
      [{ Mounts: [{ Type: "bind", Source: "/tmp", Target: "/x", VolumeOptions: { NoCopy: true } }] }, 'invalid mount config for type "bind": field VolumeOptions must not be specified'],
      [{ Mounts: [{ Type: "volume", Source: "made-5", Target: "/x" }, { Type: "tmpfs", Target: "/x" }] }, "Duplicate mount point: /x"],
      [{ VolumesFrom: ["nobody:rro"] }, 'mount mode "rro" is not supported for volumes-from mounts: invalid mode: rro'],
    ];
    for (const [hc, message] of cases) {
      const r = await api("POST", "/containers/create", { Image: "vbox:1", Cmd: ["true"], HostConfig: hc });
      expect(r.json.message).toBe(message);
      expect(r.status).toBe(400);
    }
    expect((await d.cli(["volume", "ls", "-q"])).stdout).toBe(before);
    const cli = await d.cli(["run", "--rm", "--mount", "type=bind,source=/no/such/dir,target=/x", "vbox:1", "true"]);
    expect(cli.stderr).toContain('invalid mount config for type "bind": bind source path does not exist: /no/such/dir');
    expect(cli.code).toBe(125);
  });

  test("a mount destination that is a symlink out of the root lands inside it", async () => {
    const tag = `${process.pid}-${Date.now()}`;
    const abs = `/tmp/berth-escape-abs-${tag}`;
    const rel = `/tmp/berth-escape-rel-${tag}`;
    await image("evil", (r) => {
      symlinkSync(abs, join(r, "abs"));
      symlinkSync(`../../../..${rel}`, join(r, "rel"));
      mkdirSync(join(r, "etc"));
      symlinkSync("/", join(r, "etc/up"));
    });
    const host = join(d.dir, "evil-src");
    mkdirSync(host);
    writeFileSync(join(host, "hello"), "inside\n");
    const r = await d.cli(["run", "--rm", "-v", `${host}:/abs`, "-v", `${host}:/rel`, "--tmpfs", "/etc/up/tmp/t", "evil:1", "sh", "-c", `cat ${abs}/hello ${rel}/hello; touch /abs/written; grep -c ' /tmp/t ' /proc/mounts`]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("inside\ninside\n1\n");
    expect(existsSync(abs)).toBe(false);
    expect(existsSync(rel)).toBe(false);
    expect(existsSync(join(host, "written"))).toBe(true);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(tag);
    rmSync(abs, { recursive: true, force: true });
    rmSync(rel, { recursive: true, force: true });
  });

  test("a symlink another container left in a shared volume cannot send a nested mount onto the host", async () => {
    const trap = `/tmp/berth-trap-${process.pid}-${Date.now()}`;
    expect((await d.cli(["run", "--rm", "-v", "trap:/trapdir", "vbox:1", "ln", "-s", trap, "/trapdir/sub"])).code).toBe(0);
    const host = join(d.dir, "trap-src");
    mkdirSync(host);
    writeFileSync(join(host, "hello"), "nested\n");
    const r = await d.cli(["run", "--rm", "-v", "trap:/trapdir", "-v", `${host}:/trapdir/sub`, "vbox:1", "cat", `${trap}/hello`]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("nested\n");
    expect(existsSync(trap)).toBe(false);
    rmSync(trap, { recursive: true, force: true });
    await d.cli(["volume", "rm", "trap"]);
  });

  test("events say when a volume is created, mounted, unmounted and destroyed", async () => {
    const since = (Date.now() / 1000 - 1).toFixed(3);
    await d.cli(["run", "--rm", "-v", "evented:/e", "vbox:1", "true"]);
    await d.cli(["volume", "rm", "evented"]);
    const until = (Date.now() / 1000 + 0.5).toFixed(3);
    const ev = await d.cli(["events", "--since", since, "--until", until, "--filter", "volume=evented", "--format", "{{.Action}} {{.Actor.ID}}"]);
    expect(ev.stdout).toBe("create evented\nmount evented\nunmount evented\ndestroy evented\n");
  });
});

describe.if(ok)("durability", () => {
  test("a named volume's data survives a stop and start of the daemon and a kill -9 of it", async () => {
    expect((await d.cli(["run", "--rm", "-v", "durable:/d", "vbox:1", "sh", "-c", "echo one > /d/f"])).code).toBe(0);
    // A stop and a start of the daemon.
    process.kill(d.pid, "SIGTERM");
    await d.restart();
    expect((await d.cli(["run", "--rm", "-v", "durable:/d", "vbox:1", "sh", "-c", "cat /d/f; echo two >> /d/f"])).stdout).toBe("one\n");
    await d.cli(["run", "-d", "--name", "holder", "-v", "durable:/d", "vbox:1", "sleep", "1000"]);
    d.kill();
    await d.restart();
    expect((await d.cli(["run", "--rm", "-v", "durable:/d", "vbox:1", "cat", "/d/f"])).stdout).toBe("one\ntwo\n");
    expect((await api("DELETE", "/volumes/durable")).status).toBe(409);
    expect((await d.cli(["rm", "-f", "holder"])).code).toBe(0);
    const volumes = (await api("GET", "/system/df")).json.Volumes;
    expect(volumes.find((v: any) => v.Name === "durable").UsageData).toEqual({ Size: 8, RefCount: 0 });
    // The CLI's line counts every volume of the daemon: those another test's container still holds too.
    const active = volumes.filter((v: any) => v.UsageData.RefCount > 0).length;
    expect((await d.cli(["system", "df"])).stdout).toMatch(new RegExp(`\\nLocal Volumes +${volumes.length} +${active} +\\d+B +`));
    expect((await d.cli(["volume", "rm", "durable"])).code).toBe(0);
  });
});

describe.if(ok)("the rest of the engine", () => {
  test("cp reads and writes through a volume or bind path; diff, commit and export leave volume contents out", async () => {
    const host = join(d.dir, "cp-bind");
    mkdirSync(host);
    await d.cli(["run", "-d", "--name", "cpbox", "-v", "cpvol:/data", "-v", `${host}:/b`, "vbox:1", "sh", "-c", "echo in-volume > /data/inside; echo in-layer > /outside; sleep 1000"]);
    for (const end = Date.now() + 15_000; Date.now() < end && !existsSync(join(d.dir, "data/volumes/cpvol/_data/inside")); ) await Bun.sleep(50);
    const src = join(d.dir, "cp-src.txt");
    writeFileSync(src, "copied in\n");
    expect((await d.cli(["cp", src, "cpbox:/data/copied.txt"])).code).toBe(0);
    expect(readFileSync(join(d.dir, "data/volumes/cpvol/_data/copied.txt"), "utf8")).toBe("copied in\n");
    expect((await d.cli(["cp", src, "cpbox:/b/"])).code).toBe(0);
    expect(readFileSync(join(host, "cp-src.txt"), "utf8")).toBe("copied in\n");
    const out = join(d.dir, "cp-out");
    mkdirSync(out);
    expect((await d.cli(["cp", "cpbox:/data", out])).code).toBe(0);
    expect(readFileSync(join(out, "data/inside"), "utf8")).toBe("in-volume\n");
    expect(readFileSync(join(out, "data/sub/owned"), "utf8")).toBe("from the image\n");

    const diff = (await d.cli(["diff", "cpbox"])).stdout;
    expect(diff).toContain("A /outside");
    expect(diff).not.toContain("inside");
    expect(diff).not.toContain("copied");
    expect((await d.cli(["commit", "cpbox", "cpbox-committed:1"])).code).toBe(0);
    const committed = await d.cli(["run", "--rm", "cpbox-committed:1", "sh", "-c", "cat /outside; ls /data"]);
    expect(committed.stdout).toBe("in-layer\nsub\n");
    const tar = join(d.dir, "cpbox.tar");
    expect((await d.cli(["export", "-o", tar, "cpbox"])).code).toBe(0);
    const entries = Bun.spawnSync(["tar", "-tf", tar]).stdout.toString().split("\n");
    expect(entries).toContain("outside");
    expect(entries.some((e) => e.includes("inside") || e.includes("copied"))).toBe(false);

    // Stopped, the volume is still where cp reads.
    await d.cli(["rm", "-f", "cpbox"]);
    await d.cli(["create", "--name", "cpstopped", "-v", "cpvol:/data", "vbox:1", "true"]);
    expect((await d.cli(["cp", "cpstopped:/data/inside", "-"])).stdout).toContain("in-volume\n");
    const ro = await d.cli(["create", "--name", "cpro", "-v", "cpvol:/data:ro", "vbox:1", "true"]);
    expect(ro.code).toBe(0);
    expect((await d.cli(["cp", src, "cpro:/data/"])).stderr).toContain("mounted volume is marked read-only");

    const verbose = (await d.cli(["system", "df", "-v"])).stdout;
    expect(verbose).toContain("Local Volumes space usage:\n\nVOLUME NAME");
    expect(verbose).toMatch(/\ncpvol +2 +\d+B\n/);
    await d.cli(["rm", "cpstopped", "cpro"]);
    await d.cli(["volume", "rm", "cpvol"]);
  });
});

describe.if(ok)("cp through a symlink to a volume", () => {
  test("a container path that reaches a volume through a link in the image reads and writes the volume, stopped or running", async () => {
    await image("linkbox", (r) => {
      mkdirSync(join(r, "data"));
      writeFileSync(join(r, "data/image-file"), "under the volume\n");
      symlinkSync("/data", join(r, "link"));
      symlinkSync("data", join(r, "rel"));
      symlinkSync("../../link", join(r, "tmp/up"));
    });
    const src = join(d.dir, "cp-link-src.txt");
    writeFileSync(src, "through the link\n");
    const vol = join(d.dir, "data/volumes/linkvol/_data");
    expect((await d.cli(["create", "--name", "linked", "-v", "linkvol:/data", "linkbox:1", "true"])).code).toBe(0);
    // Stopped: nothing is mounted, so only following the link to the volume finds it.
    expect((await d.cli(["cp", src, "linked:/link/"])).code).toBe(0);
    expect(readFileSync(join(vol, "cp-link-src.txt"), "utf8")).toBe("through the link\n");
    expect((await d.cli(["cp", src, "linked:/tmp/up/copied.txt"])).code).toBe(0);
    expect(readFileSync(join(vol, "copied.txt"), "utf8")).toBe("through the link\n");
    expect((await d.cli(["cp", "linked:/rel/cp-link-src.txt", "-"])).stdout).toContain("through the link\n");
    // The link itself, as the last component, is copied as a link.
    const out = join(d.dir, "cp-link-out");
    mkdirSync(out);
    expect((await d.cli(["cp", "linked:/link", out])).code).toBe(0);
    expect(readlinkSync(join(out, "link"))).toBe("/data");
    await d.cli(["rm", "linked"]);
    // Running: the same paths reach the volume.
    expect((await d.cli(["run", "-d", "--name", "linked-run", "-v", "linkvol:/data", "linkbox:1", "sleep", "1000"])).code).toBe(0);
    writeFileSync(src, "while it runs\n");
    expect((await d.cli(["cp", src, "linked-run:/rel/"])).code).toBe(0);
    expect(readFileSync(join(vol, "cp-link-src.txt"), "utf8")).toBe("while it runs\n");
    expect((await d.cli(["exec", "linked-run", "cat", "/data/cp-link-src.txt"])).stdout).toBe("while it runs\n");
    expect((await d.cli(["cp", "linked-run:/link/copied.txt", "-"])).stdout).toContain("through the link\n");
    await d.cli(["rm", "-f", "linked-run"]);
    await d.cli(["volume", "rm", "linkvol"]);
  });
});

const dockerBin = "/usr/local/bin/docker";

describe.if(ok)("the docker CLI and docker-py", () => {
  const env = () => ({ ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, "docker-config") });
  const docker = (args: string[]) => {
    const r = Bun.spawnSync([dockerBin, ...args], { env: env(), stdin: "ignore", timeout: 30_000 });
    return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };

  test("the docker CLI drives volumes, -v, --mount and rm -v", async () => {
    if (!existsSync(dockerBin)) throw new Error(`${dockerBin} is not installed`);
    expect(docker(["volume", "create", "--label", "who=cli", "clivol"]).stdout).toBe("clivol\n");
    expect(docker(["run", "--rm", "-v", "clivol:/d", "vbox:1", "sh", "-c", "echo from-cli > /d/f"]).code).toBe(0);
    const r = docker(["run", "--rm", "--mount", "type=volume,src=clivol,dst=/d,readonly", "vbox:1", "sh", "-c", "cat /d/f; touch /d/x 2>/dev/null || echo ro"]);
    expect(r.stdout).toBe("from-cli\nro\n");
    expect(docker(["volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Labels.who}}", "clivol"]).stdout).toBe("clivol local cli\n");
    expect(docker(["volume", "ls", "--format", "{{.Name}}", "--filter", "label=who=cli"]).stdout).toBe("clivol\n");
    // The same table and the same JSON from both CLIs.
    expect((await d.cli(["volume", "ls"])).stdout).toBe(docker(["volume", "ls"]).stdout);
    expect((await d.cli(["volume", "inspect", "clivol"])).stdout).toBe(docker(["volume", "inspect", "clivol"]).stdout);
    expect(docker(["create", "--name", "clibox", "-v", "clivol:/d", "-v", "/anon2", "vbox:1", "true"]).code).toBe(0);
    const mounts = JSON.parse(docker(["inspect", "-f", "{{json .Mounts}}", "clibox"]).stdout);
    expect(mounts.map((m: any) => m.Destination).sort()).toEqual(["/anon", "/anon2", "/d"]);
    const inUse = docker(["volume", "rm", "clivol"]);
    expect(inUse.stderr).toMatch(/^Error response from daemon: remove clivol: volume is in use - \[[0-9a-f]{64}\]\n$/);
    expect(inUse.code).toBe(1);
    const anon = mounts.filter((m: any) => m.Destination !== "/d").map((m: any) => m.Name);
    expect(docker(["rm", "-v", "clibox"]).code).toBe(0);
    const left = docker(["volume", "ls", "-q"]).stdout.split("\n");
    expect(left).toContain("clivol");
    for (const a of anon) expect(left).not.toContain(a);
    expect(docker(["volume", "rm", "clivol"]).stdout).toBe("clivol\n");
    const bad = docker(["run", "--rm", "--mount", "type=bind,src=/no/such/path,dst=/x", "vbox:1", "true"]);
    expect(bad.stderr).toContain('invalid mount config for type "bind": bind source path does not exist: /no/such/path');
    expect(bad.code).toBe(125);
  });

  test("docker-py drives the same scenario", () => {
    const r = Bun.spawnSync(["python3", "-c", `
import docker
c = docker.from_env()
v = c.volumes.create("pyvol", labels={"who": "py"})
c.containers.run("vbox:1", ["sh", "-c", "echo from-py > /d/f"], volumes={"pyvol": {"bind": "/d", "mode": "rw"}}, remove=True)
print(c.containers.run("vbox:1", ["cat", "/d/f"], volumes=["pyvol:/d:ro"], remove=True).decode().strip())
print(c.volumes.get("pyvol").attrs["Labels"]["who"])
print([x.name for x in c.volumes.list(filters={"label": "who=py"})])
v.remove()
try:
    c.volumes.get("pyvol")
except docker.errors.NotFound as e:
    print("gone", e.explanation)
`], { env: env(), timeout: 60_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe("from-py\npy\n['pyvol']\ngone get pyvol: no such volume\n");
  });
});

describe.if(ok)("a crash while creating volumes", () => {
  test("leaves each volume whole or gone, and the next start sweeps what a create left", async () => {
    const reqs = Array.from({ length: 40 }, (_, i) => api("POST", "/volumes/create", { Name: `crash-${i}` }).catch(() => undefined));
    await Bun.sleep(30);
    d.kill();
    await Promise.all(reqs);
    // What a create interrupted between its mkdir and its rename, or between its rename and its row, leaves.
    const vols = join(d.dir, "data/volumes");
    mkdirSync(join(vols, ".creating-torn-1-2/_data"), { recursive: true });
    mkdirSync(join(vols, "no-row/_data"), { recursive: true });
    await d.restart();
    const listed = (await d.cli(["volume", "ls", "-q"])).stdout.split("\n").filter((n) => n.startsWith("crash-")).sort();
    const dirs = readdirSync(vols).filter((n) => n.startsWith("crash-")).sort();
    expect(dirs).toEqual(listed);
    for (const n of listed) expect(existsSync(join(vols, n, "_data"))).toBe(true);
    expect(existsSync(join(vols, ".creating-torn-1-2"))).toBe(false);
    expect(existsSync(join(vols, "no-row"))).toBe(false);
    if (listed.length) expect((await d.cli(["volume", "rm", ...listed])).code).toBe(0);
  });
});
