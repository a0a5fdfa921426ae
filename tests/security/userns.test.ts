// The daemon's --userns-remap default: containers run in a user namespace of
// their own, their root being berth-remap's first subordinate id on the host
// (read here from the process's /proc/PID/status and from files it makes),
// the image's layers shared through idmapped mounts rather than copied, and
// --userns=host opting out. exec, cp, logs, stop and restart work as without.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostname } from "node:os";
import { berthCmd, busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { firstSubordinate } from "./remap-fixtures.ts";

/** The Uid: or Gid: line of a process: real, effective, saved and filesystem ids. */
function ids(pid: number, key: "Uid" | "Gid"): number[] {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${key}:`))!;
  return line.split(/\s+/).slice(1, 5).map(Number);
}

describe.if(requireDaemon())("--userns-remap default", () => {
  let d: TestDaemon;
  let uid0: number;
  let gid0: number;
  let scratch: string;
  beforeAll(async () => {
    d = await startDaemon({ args: ["--userns-remap", "default"], mode: 0o711 });
    expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest"])).code).toBe(0);
    uid0 = firstSubordinate("subuid");
    gid0 = firstSubordinate("subgid");
    scratch = mkdtempSync("/tmp/berth-userns-bind-");
    chmodSync(scratch, 0o777);
  });
  afterAll(async () => {
    await d?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const pidOf = async (name: string) => Number((await d.cli(["inspect", "-f", "{{.State.Pid}}", name])).stdout.trim());

  test("root in the container, a subordinate uid on the host", async () => {
    expect(uid0).toBeGreaterThanOrEqual(100000);
    const r = await d.cli(["run", "--rm", "busybox", "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "));
    expect(lines).toEqual(["0", "0", `0 ${uid0} 65536`, `0 ${gid0} 65536`]);
    expect((await d.cli(["run", "-d", "--name", "sleeper", "busybox", "sleep", "1000"])).code).toBe(0);
    const pid = await pidOf("sleeper");
    expect(ids(pid, "Uid")).toEqual([uid0, uid0, uid0, uid0]);
    expect(ids(pid, "Gid")).toEqual([gid0, gid0, gid0, gid0]);
    expect(readFileSync(`/proc/${pid}/uid_map`, "utf8").trim().split(/\s+/).map(Number)).toEqual([0, uid0, 65536]);
    const info = JSON.parse((await d.cli(["info", "--format", "{{json .}}"])).stdout);
    expect(info.SecurityOptions).toContain("name=userns");
    expect(info.DriverStatus).toContainEqual(["Remapped Layers", "idmapped mounts (shared by every mapping)"]);
  });

  test("a terminal: run -it and exec -it, the terminal the container root's", async () => {
    const inTerminal = async (args: string[]) => {
      const cmd = [...berthCmd, "-H", d.host, ...args].map((a) => `'${a}'`).join(" ");
      const p = Bun.spawn(["script", "-qec", cmd, "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
      const timer = setTimeout(() => p.kill(9), 60_000);
      const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
      clearTimeout(timer);
      return { code, out: out.replace(/\r/g, "") };
    };
    const run = await inTerminal(["run", "--rm", "-it", "busybox", "sh", "-c", "id -u; ls -ln $(tty)"]);
    expect(run.code).toBe(0);
    const [id, tty] = run.out.trim().split("\n").slice(-2);
    expect(id!.trim()).toBe("0");
    expect(tty!.split(/\s+/).slice(2, 4)).toEqual(["0", "5"]);
    const exec = await inTerminal(["exec", "-it", "sleeper", "sh", "-c", "id -u; ls -ln $(tty)"]);
    expect(exec.code).toBe(0);
    const [execId, execTty] = exec.out.trim().split("\n").slice(-2);
    expect(execId!.trim()).toBe("0");
    expect(execTty!.split(/\s+/).slice(2, 4)).toEqual(["0", "5"]);
  });

  test("files it makes in a bind are the subordinate uid's on the host; its root owns its own files", async () => {
    const r = await d.cli(["run", "--rm", "-v", `${scratch}:/b`, "busybox", "sh", "-c", "touch /b/made && ls -ln /b/made && ls -lnd / /bin/busybox"]);
    expect(r.code).toBe(0);
    const st = statSync(join(scratch, "made"));
    expect([st.uid, st.gid]).toEqual([uid0, gid0]);
    // Inside, the bind's file, "/" and the image's files are all root's (0 0), not nobody's.
    for (const line of r.stdout.trim().split("\n")) expect(line.split(/\s+/).slice(2, 4)).toEqual(["0", "0"]);
  });

  test("a new volume is the remapped root's", async () => {
    const r = await d.cli(["run", "--rm", "-v", "userns-vol:/data", "busybox", "sh", "-c", "touch /data/x && ls -ln /data/x"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split(/\s+/).slice(2, 4)).toEqual(["0", "0"]);
    const data = join(d.dir, "data", "volumes", "userns-vol", "_data");
    expect([statSync(data).uid, statSync(join(data, "x")).uid]).toEqual([uid0, uid0]);
  });

  test("volume create makes it the remapped root's before any container uses it", async () => {
    expect((await d.cli(["volume", "create", "userns-made"])).code).toBe(0);
    const data = statSync(join(d.dir, "data", "volumes", "userns-made", "_data"));
    expect([data.uid, data.gid, data.mode & 0o777]).toEqual([uid0, gid0, 0o755]);
  });

  test("two containers of one image share its layer's files: no copy per container or mapping", async () => {
    const layers = join(d.dir, "data", "layers");
    const copies = readdirSync(layers).map((l) => join(layers, l, "diff", "bin", "busybox")).filter((p) => lstatSync(p, { throwIfNoEntry: false })?.isFile());
    expect(copies.length).toBe(1);
    const inode = statSync(copies[0]!).ino;
    for (const name of ["share-a", "share-b"]) expect((await d.cli(["run", "-d", "--name", name, "busybox", "sleep", "1000"])).code).toBe(0);
    for (const name of ["share-a", "share-b"]) {
      // overlayfs reports a lower file's own inode: the very file of the layer, seen through the idmapped view.
      const r = await d.cli(["exec", name, "ls", "-i", "/bin/busybox"]);
      expect(Number(r.stdout.trim().split(/\s+/)[0])).toBe(inode);
      const mountinfo = readFileSync(`/proc/${await pidOf(name)}/mountinfo`, "utf8").split("\n").find((l) => l.split(" ")[4] === "/")!;
      expect(mountinfo).toContain(" - overlay overlay ");
    }
    // Still one copy, owned by the host's root as the image says: nothing was chowned.
    expect(statSync(copies[0]!).uid).toBe(0);
    const containers = readdirSync(join(d.dir, "data", "containers"));
    for (const c of containers) expect(lstatSync(join(d.dir, "data", "containers", c, "upper", "bin", "busybox"), { throwIfNoEntry: false })).toBeUndefined();
  });

  test("--userns=host runs as the host's root", async () => {
    const r = await d.cli(["run", "--rm", "--userns=host", "busybox", "cat", "/proc/self/uid_map"]);
    expect(r.stdout.trim().split(/\s+/)).toEqual(["0", "0", "4294967295"]);
    expect((await d.cli(["run", "-d", "--name", "hosted", "--userns", "host", "busybox", "sleep", "1000"])).code).toBe(0);
    expect(ids(await pidOf("hosted"), "Uid")).toEqual([0, 0, 0, 0]);
  });

  test("exec, cp, logs, restart and stop under the mapping", async () => {
    expect((await d.cli(["run", "-d", "--name", "busy", "busybox", "sh", "-c", "echo started; while true; do sleep 1; done"])).code).toBe(0);
    const exec = await d.cli(["exec", "busy", "sh", "-c", "id -u; cat /proc/self/uid_map"]);
    expect(exec.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "))).toEqual(["0", `0 ${uid0} 65536`]);
    const file = join(scratch, "copied.txt");
    writeFileSync(file, "copied in\n");
    expect((await d.cli(["cp", file, "busy:/tmp/copied.txt"])).code).toBe(0);
    // Owned by the container's root: 0 inside, the subordinate uid on the host.
    expect((await d.cli(["exec", "busy", "ls", "-ln", "/tmp/copied.txt"])).stdout.split(/\s+/).slice(2, 4)).toEqual(["0", "0"]);
    expect(statSync(`/proc/${await pidOf("busy")}/root/tmp/copied.txt`).uid).toBe(uid0);
    const out = await d.cli(["cp", "busy:/tmp/copied.txt", "-"]);
    expect(out.stdout).toContain("copied in");
    const deadline = Date.now() + 30_000;
    while (!(await d.cli(["logs", "busy"])).stdout.includes("started") && Date.now() < deadline) await Bun.sleep(50);
    expect((await d.cli(["logs", "busy"])).stdout).toContain("started");
    const before = await pidOf("busy");
    expect((await d.cli(["restart", "-t", "1", "busy"])).code).toBe(0);
    const after = await pidOf("busy");
    expect(after).not.toBe(before);
    expect(ids(after, "Uid")[0]).toBe(uid0);
    expect((await d.cli(["exec", "busy", "id", "-u"])).stdout.trim()).toBe("0");
    expect((await d.cli(["stop", "-t", "1", "busy"])).code).toBe(0);
    expect((await d.cli(["inspect", "-f", "{{.State.Running}}", "busy"])).stdout.trim()).toBe("false");
  });

  test("cp into a stopped container, its volume and its bind writes the container's owners, shifted on the host", async () => {
    const bind = mkdtempSync(join(scratch, "cp-bind-"));
    chmodSync(bind, 0o777);
    const listing = "ls -lnd /etc /etc/cp.txt /vol/cp.txt /bind/cp.txt";
    expect((await d.cli(["create", "--name", "cpstopped", "-v", "userns-cp:/vol", "-v", `${bind}:/bind`, "busybox", "sh", "-c", listing])).code).toBe(0);
    const file = join(scratch, "cp.txt");
    writeFileSync(file, "copied while stopped\n");
    for (const dest of ["/etc/", "/vol/", "/bind/"]) {
      const r = await d.cli(["cp", file, `cpstopped:${dest}`]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    const id = (await d.cli(["inspect", "-f", "{{.Id}}", "cpstopped"])).stdout.trim();
    const upperEtc = join(d.dir, "data", "containers", id, "upper", "etc");
    const volume = join(d.dir, "data", "volumes", "userns-cp", "_data");
    // On the host: the remapped root's, the image's /etc copied up as its too (not the host root's).
    for (const p of [upperEtc, join(upperEtc, "cp.txt"), join(volume, "cp.txt"), join(bind, "cp.txt")]) {
      const st = statSync(p);
      expect([p, st.uid, st.gid]).toEqual([p, uid0, gid0]);
    }
    // Inside: root's, and the file is there.
    const r = await d.cli(["start", "-a", "cpstopped"]);
    expect(r.code).toBe(0);
    const owners = r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).slice(2, 4).join(":"));
    expect(owners).toEqual(["0:0", "0:0", "0:0", "0:0"]);
    // A running container's volume, reached from the host: shifted too.
    expect((await d.cli(["run", "-d", "--name", "cprunning", "-v", "userns-cp:/vol", "busybox", "sleep", "1000"])).code).toBe(0);
    expect((await d.cli(["cp", file, "cprunning:/vol/running.txt"])).code).toBe(0);
    expect([statSync(join(volume, "running.txt")).uid, statSync(join(volume, "running.txt")).gid]).toEqual([uid0, gid0]);
  });

  /** name → "uid:gid" of each entry of a tar the API sends (cp out, export), read by GNU tar. */
  async function tarOwners(apiPath: string): Promise<Record<string, string>> {
    const res = await fetch(`http://localhost${apiPath}`, { unix: d.socket } as RequestInit);
    expect(res.status).toBe(200);
    const file = join(d.dir, `owners-${Date.now()}.tar`);
    writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
    const list = Bun.spawnSync(["tar", "--numeric-owner", "-tvf", file]);
    rmSync(file);
    expect(list.exitCode).toBe(0);
    const owners: Record<string, string> = {};
    for (const line of list.stdout.toString().trim().split("\n")) {
      const f = line.trim().split(/\s+/);
      owners[f.slice(5).join(" ").replace(/ -> .*$/, "").replace(/\/$/, "")] = f[1]!.replace("/", ":");
    }
    return owners;
  }

  test("cp out of, export and commit of a remapped container give its own owners, not the host's", async () => {
    const bind = mkdtempSync(join(scratch, "cp-out-"));
    chmodSync(bind, 0o777);
    writeFileSync(join(bind, "hosts-own"), "the host root's\n"); // host uid 0: outside the mapping
    const script = "mkdir /made && touch /made/root-made /made/user-made && chown 1000:1001 /made/user-made && touch /bind/container-made && echo ready && sleep 1000";
    expect((await d.cli(["run", "-d", "--name", "owners", "-v", `${bind}:/bind`, "busybox", "sh", "-c", script])).code).toBe(0);
    const deadline = Date.now() + 60_000;
    while (!(await d.cli(["logs", "owners"])).stdout.includes("ready") && Date.now() < deadline) await Bun.sleep(50);
    // On the host they are the mapping's ids.
    expect(statSync(join(bind, "container-made")).uid).toBe(uid0);
    const expected = { made: "0:0", "made/root-made": "0:0", "made/user-made": "1000:1001" };
    const check = async (when: string) => {
      expect([when, await tarOwners("/containers/owners/archive?path=/made")]).toEqual([when, expected]);
      // A file of the image's layer (seen through the idmapped view) is root's too, not the overflow id.
      expect([when, await tarOwners("/containers/owners/archive?path=/etc/passwd")]).toEqual([when, { passwd: "0:0" }]);
      // In a bind: what the container made is its root's; the host root's file shows as the container sees it.
      const inBind = await tarOwners("/containers/owners/archive?path=/bind");
      expect([when, inBind["bind/container-made"], inBind["bind/hosts-own"]]).toEqual([when, "0:0", "65534:65534"]);
      const exported = await tarOwners("/containers/owners/export");
      expect([when, exported["made"], exported["made/user-made"], exported["bin/busybox"], exported["etc"]]).toEqual([when, "0:0", "1000:1001", "0:0", "0:0"]);
    };
    await check("running");
    expect((await d.cli(["stop", "-t", "1", "owners"])).code).toBe(0);
    await check("stopped");
    // A commit's layer holds the container's ids: read with --userns=host, where nothing is mapped.
    expect((await d.cli(["commit", "owners", "owners-image"])).code).toBe(0);
    const ls = await d.cli(["run", "--rm", "--userns=host", "owners-image", "ls", "-lnd", "/made", "/made/user-made"]);
    expect(ls.code).toBe(0);
    expect(ls.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).slice(2, 4).join(":"))).toEqual(["0:0", "1000:1001"]);
  });

  test("--device binds the host's node in (a user namespace may not mknod), under the cgroup's rules", async () => {
    const rw = await d.cli(["run", "--rm", "--device", "/dev/full:/dev/xfull", "busybox", "sh", "-c", "ls -ln /dev/xfull; echo x > /dev/xfull"]);
    expect(rw.stdout).toMatch(/^crw-rw-rw-\s.*\b1,\s+7\b.*\/dev\/xfull/);
    expect(rw.stderr).toContain("No space left on device"); // the host's /dev/full itself, open for writing
    // A node outside Docker's default list (loop-control, 10:237), 0666 so that the remapped root may open it:
    // read as its rule says, not written.
    const node = join(scratch, "loop-control");
    const mk = Bun.spawnSync(["mknod", "-m", "666", node, "c", "10", "237"]);
    expect(mk.exitCode).toBe(0);
    const ro = await d.cli(["run", "--rm", "--device", `${node}:/dev/xlc:r`, "busybox", "sh", "-c", "exec 3</dev/xlc && echo read; exec 4>/dev/xlc && echo written"]);
    expect(ro.stdout.trim()).toBe("read");
    expect(ro.stderr).toContain("Operation not permitted");
    const none = await d.cli(["run", "--rm", "-v", `${scratch}:/scratch`, "busybox", "sh", "-c", "exec 3</scratch/loop-control && echo read"]);
    expect(none.stdout).not.toContain("read"); // the same node without --device: refused
  });

  test("a restarted daemon adopts its remapped containers and still enters them", async () => {
    expect((await d.cli(["run", "-d", "--name", "kept", "busybox", "sleep", "1000"])).code).toBe(0);
    const pid = await pidOf("kept");
    d.kill();
    await d.restart();
    expect(await pidOf("kept")).toBe(pid);
    const r = await d.cli(["exec", "kept", "sh", "-c", "id -u; cat /proc/self/uid_map"]);
    expect(r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "))).toEqual(["0", `0 ${uid0} 65536`]);
    expect(ids(pid, "Uid")[0]).toBe(uid0);
  });

  test("what a user namespace cannot do is refused in dockerd's words", async () => {
    const priv = await d.cli(["run", "--rm", "--privileged", "busybox", "true"]);
    expect(priv.code).toBe(125);
    expect(priv.stderr).toContain("privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode");
    const hostNet = await d.cli(["create", "--network", "host", "busybox", "true"]);
    expect(hostNet.stderr).toContain("cannot share the host's network namespace when user namespaces are enabled");
    const hostPid = await d.cli(["create", "--pid", "host", "busybox", "true"]);
    expect(hostPid.stderr).toContain("cannot share the host PID namespace when user namespaces are enabled");
    const hostIpc = await d.cli(["create", "--ipc", "host", "busybox", "true"]);
    expect(hostIpc.stderr).toContain("cannot share the host's IPC namespace when user namespaces are enabled");
    const hostUts = await d.cli(["create", "--uts", "host", "busybox", "true"]);
    expect(hostUts.stderr).toContain("cannot share the host's UTS namespace when user namespaces are enabled");
    const otherIpc = await d.cli(["create", "--ipc", "container:kept", "busybox", "true"]);
    expect(otherIpc.stderr).toContain("cannot share another container's IPC namespace when user namespaces are enabled");
    // A shareable /dev/shm (a tmpfs on the host, bound in) is the container root's to write.
    const shareable = await d.cli(["run", "--rm", "--ipc", "shareable", "busybox", "sh", "-c", "echo x > /dev/shm/f && cat /dev/shm/f"]);
    expect([shareable.code, shareable.stdout]).toEqual([0, "x\n"]);
    // With --userns=host they are allowed.
    expect((await d.cli(["run", "--rm", "--privileged", "--userns=host", "busybox", "true"])).code).toBe(0);
    expect((await d.cli(["run", "--rm", "--uts", "host", "--userns=host", "busybox", "hostname"])).stdout.trim()).toBe(hostname());
    expect((await d.cli(["create", "--userns", "bogus", "busybox", "true"])).stderr).toContain("--userns: invalid USER mode");
  });
});
