// Stage 2 (`berth __init DIR`): PID 1 of the container's new PID namespace.
// It waits for the shim's "go" on fd 3, builds the container's world (mount,
// UTS, IPC and network namespaces; overlay root; /proc, /sys, /dev; pivot_root;
// identity and capabilities), then execve()s the user's program so no Bun
// stays inside. Everything here is synchronous: after unshare(NEWNS) only the
// main thread sees the new mounts.
import { readFileSync, readlinkSync, existsSync, mkdirSync, writeFileSync, statSync, lstatSync, symlinkSync, chmodSync, chownSync, openSync, closeSync } from "node:fs";
import { join } from "node:path";
import * as c from "../libc.ts";
import { resolveSpec, type BindMount, type RuntimeSpec } from "../spec.ts";
import { resolveGroups, resolveUser } from "../user.ts";
import { Scope, entryParts } from "../../layer/apply/scope.ts";
import { superviseProgram } from "./supervise.ts";
import { mountCgroupFs } from "./cgroup-fs.ts";
import { mountUserMounts, setRootPropagation } from "./mounts.ts";
import { bindOpenInRoot } from "./open-in-root.ts";
import { applyOomScoreAdj, applyRlimits, applySysctls } from "./settings.ts";
import { devicesUnder, type DeviceNode } from "../devices/nodes.ts";
import { lookPath, dropPrivileges, reportFailure, waitForGo, takeTerminal, CONTROL_FD } from "../process.ts";
import { StartError } from "../start-error.ts";
import { bindDeviceNode, mountSysfs } from "../userns/in-namespace.ts";

function ensureDir(p: string): void {
  if (!existsSync(p)) mkdirSync(p, { recursive: true, mode: 0o755 });
}

/** Mount data is limited to a page: long layer lists go through short symlinks (like overlay2's l/). */
function lowerDirOption(s: RuntimeSpec): string {
  const plain = s.lowerDirs.join(":");
  if (plain.length + s.upperDir.length + s.workDir.length < 3800) return plain;
  const links = join(s.upperDir, "..", "l");
  ensureDir(links);
  s.lowerDirs.forEach((d, i) => {
    try {
      symlinkSync(d, join(links, String(i)));
    } catch {
      // Left from an earlier start of the same container: the same target.
    }
  });
  c.chdir(links);
  return s.lowerDirs.map((_d, i) => String(i)).join(":");
}

function mountRootfs(s: RuntimeSpec): void {
  ensureDir(s.rootfs);
  if (s.userns) {
    // The shim mounted it (userns/remapped-rootfs.ts); it came locked with the namespace's copy, and pivot_root wants a mount of our own.
    c.mount(s.rootfs, s.rootfs, null, c.MS.BIND | c.MS.REC);
  } else if (s.lowerDirs.length) {
    const options = `lowerdir=${lowerDirOption(s)},upperdir=${s.upperDir},workdir=${s.workDir}`;
    let mounted = false;
    if (s.ephemeral) {
      // Unmounting a volatile overlay (when the container's last process goes) does not sync the host's disk.
      try {
        c.mount("overlay", s.rootfs, "overlay", 0, `${options},volatile`);
        mounted = true;
      } catch {
        // a kernel before 5.10
      }
    }
    if (!mounted) c.mount("overlay", s.rootfs, "overlay", 0, options);
  } else {
    c.mount(s.upperDir, s.rootfs, null, c.MS.BIND | c.MS.REC);
  }
}

function mountSpecialFs(s: RuntimeSpec): void {
  const r = s.rootfs;
  const { NOSUID, NODEV, NOEXEC, RDONLY, STRICTATIME } = c.MS;
  ensureDir(`${r}/proc`);
  c.mount("proc", `${r}/proc`, "proc", NOSUID | NODEV | NOEXEC);
  ensureDir(`${r}/sys`);
  const sysFlags = NOSUID | NODEV | NOEXEC | (s.privileged ? 0 : RDONLY);
  if (s.userns) mountSysfs(`${r}/sys`, sysFlags);
  else c.mount("sysfs", `${r}/sys`, "sysfs", sysFlags);
  try {
    mountCgroupFs(r, { privileged: !!s.privileged, hostNamespace: s.cgroupns === "host" });
  } catch {
    // Where the namespace does not allow these mounts (a remapped container on an older kernel), the
    // container starts without its cgroups in view, as containers did before berth mounted them.
  }
  ensureDir(`${r}/dev`);
  c.mount("tmpfs", `${r}/dev`, "tmpfs", NOSUID | STRICTATIME, "mode=755,size=65536k");
  const devices: [string, number, number][] = [["null", 1, 3], ["zero", 1, 5], ["full", 1, 7], ["random", 1, 8], ["urandom", 1, 9], ["tty", 5, 0]];
  for (const [name, major, minor] of devices) {
    if (s.userns) bindDeviceNode(`/dev/${name}`, `${r}/dev/${name}`);
    else c.mknod(`${r}/dev/${name}`, 0o020666, c.makedev(major, minor));
  }
  // mknod honours the umask; make the modes exact.
  if (!s.userns) for (const [name] of devices) chmodSync(`${r}/dev/${name}`, 0o666);
  for (const [link, target] of [["fd", "/proc/self/fd"], ["stdin", "/proc/self/fd/0"], ["stdout", "/proc/self/fd/1"], ["stderr", "/proc/self/fd/2"], ["ptmx", "pts/ptmx"]]) {
    symlinkSync(target!, `${r}/dev/${link}`);
  }
  // The host's /dev is still "/dev" here (the root is not yet pivoted).
  makeDeviceNodes(r, [...(s.privileged ? devicesUnder("/dev", "/dev") : []), ...(s.devices ?? [])], !!s.userns);
  ensureDir(`${r}/dev/pts`);
  c.mount("devpts", `${r}/dev/pts`, "devpts", NOSUID | NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  ensureDir(`${r}/dev/shm`);
  // --ipc host shares the host's shared memory, files included; --ipc none has none; shareable
  // and container: have a tmpfs on the host that the donor and its joiners bind.
  if (s.ipc === "host") c.mount("/dev/shm", `${r}/dev/shm`, null, c.MS.BIND | c.MS.REC);
  else if (s.shmSource) c.mount(s.shmSource, `${r}/dev/shm`, null, c.MS.BIND);
  else if (s.ipc !== "none") c.mount("shm", `${r}/dev/shm`, "tmpfs", NOSUID | NODEV | NOEXEC, `mode=1777,size=${s.shmSize || 64 << 20}`);
  ensureDir(`${r}/dev/mqueue`);
  c.mount("mqueue", `${r}/dev/mqueue`, "mqueue", NOSUID | NODEV | NOEXEC);
}

/**
 * `--device` nodes (and a privileged container's copy of the host's); one already there is kept.
 * In a user namespace the host's node is bound in, its owner and mode the host's.
 */
function makeDeviceNodes(rootfs: string, nodes: DeviceNode[], userns: boolean): void {
  for (const n of nodes) {
    const target = bindTarget(rootfs, n.path);
    if (lstatSync(target, { throwIfNoEntry: false })) continue;
    ensureDir(join(target, ".."));
    if (userns) {
      bindDeviceNode(n.hostPath, target);
      continue;
    }
    c.mknod(target, (n.type === "c" ? 0o020000 : 0o060000) | n.mode, c.makedev(n.major, n.minor));
    chmodSync(target, n.mode); // mknod honours the umask
    chownSync(target, n.uid, n.gid);
  }
}

/** /etc/hostname, hosts and resolv.conf, then the user's mounts: each opened inside the root and mounted through its descriptor. */
function bindFiles(s: RuntimeSpec): void {
  const e = s.etcFiles;
  const files: [string | undefined, string][] = [[e?.hostname, "/etc/hostname"], [e?.hosts, "/etc/hosts"], [e?.resolvConf, "/etc/resolv.conf"]];
  const etc: BindMount[] = files.filter(([src]) => src).map(([src, dst]) => ({ source: src!, destination: dst, readonly: false, nonRecursive: true }));
  mountUserMounts(s.rootfs, [...etc, ...s.binds]);
}

/**
 * Where a bind lands, resolved inside the rootfs as if it were "/": an image's
 * symlinks (an /etc/resolv.conf pointing elsewhere, or a hostile /etc -> /)
 * are followed within the container, never onto the host.
 */
function bindTarget(rootfs: string, destination: string): string {
  const scope = new Scope(rootfs);
  let path = destination;
  for (let links = 0; links <= 40; links++) {
    const parts = entryParts(path);
    if (parts.length === 0) throw new StartError(`invalid mount destination ${JSON.stringify(destination)}`, 125);
    const parent = scope.dir(parts.slice(0, -1), destination);
    const target = `${parent}/${parts[parts.length - 1]}`;
    if (!lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink()) return target;
    const link = readlinkSync(target);
    // The parent's container path: its host path with the rootfs prefix taken off.
    path = link.startsWith("/") ? link : `${parent.slice(rootfs.length) || "/"}/${link}`;
  }
  throw new StartError(`mount destination ${destination}: too many levels of symbolic links`, 125);
}

function enterRoot(s: RuntimeSpec): void {
  const oldRoot = openSync("/", "r");
  c.chdir(s.rootfs);
  c.pivotRoot(".", ".");
  // The old root is now stacked over "/": keep its unmount from reaching the host, then drop it.
  // Through its descriptor (as runc does): "." may name the new root, whose own mounts (a
  // shared bind) must keep their propagation.
  c.fchdir(oldRoot);
  closeSync(oldRoot);
  c.mount(null, ".", null, c.MS.SLAVE | c.MS.REC);
  c.umount2(".", 2 /* MNT_DETACH */);
  c.chdir("/");
}

function maskPaths(s: RuntimeSpec): void {
  if (s.privileged) return;
  for (const p of s.maskedPaths) {
    if (!existsSync(p)) continue;
    if (statSync(p).isDirectory()) c.mount("tmpfs", p, "tmpfs", c.MS.RDONLY);
    else c.mount("/dev/null", p, null, c.MS.BIND);
  }
  for (const p of s.readonlyPaths) {
    if (!existsSync(p)) continue;
    c.mount(p, p, null, c.MS.BIND | c.MS.REC);
    c.mount(null, p, null, c.MS.BIND | c.MS.REMOUNT | c.MS.RDONLY | c.MS.NOSUID | c.MS.NODEV | c.MS.NOEXEC);
  }
}

/**
 * For a standby, before its container is known: the namespaces every container
 * gets new (mount, UTS, IPC, and a network one, the common case), ~1 ms of a
 * start. The cgroup namespace waits for the container's cgroup. Returns the
 * host's network namespace, to go back to for `--network host`.
 */
function enterNamespacesEarly(): number {
  const hostNet = openSync("/proc/self/ns/net", "r");
  c.unshare(c.CLONE.NEWNS | c.CLONE.NEWUTS | c.CLONE.NEWIPC | c.CLONE.NEWNET);
  c.mount(null, "/", null, c.MS.REC | c.MS.PRIVATE);
  return hostNet;
}

/**
 * Joins a prepared network namespace (a path such as /run/netns/NAME), makes an
 * empty one, or stays in (or, after enterNamespacesEarly, goes back to) the host's.
 */
function enterNetwork(s: RuntimeSpec, hostNet?: number): void {
  if (s.network === "host") {
    if (hostNet !== undefined) c.setns(hostNet, c.CLONE.NEWNET);
    return;
  }
  if (s.network === "none") return hostNet === undefined ? c.unshare(c.CLONE.NEWNET) : undefined;
  // A remapped container's shim joined it before the user namespace was made (it belongs to the host's).
  if (s.userns) return;
  const fd = openSync(s.network, "r");
  c.setns(fd, c.CLONE.NEWNET);
  closeSync(fd);
}

function joinNamespace(path: string, kind: number): void {
  const fd = openSync(path, "r");
  try {
    c.setns(fd, kind);
  } finally {
    closeSync(fd);
  }
}

/** Becomes the program (execve), or with `init` starts it and stays (supervise.ts). */
function setup(s: RuntimeSpec, hostNet?: number): void {
  const cgroupNs = existsSync("/proc/self/ns/cgroup") && s.cgroupns !== "host" ? c.CLONE.NEWCGROUP : 0;
  if (hostNet === undefined) {
    c.unshare(c.CLONE.NEWNS | (s.utsHost ? 0 : c.CLONE.NEWUTS) | (s.ipc === "host" || s.ipcNamespace ? 0 : c.CLONE.NEWIPC) | cgroupNs);
    if (s.ipcNamespace) joinNamespace(s.ipcNamespace, c.CLONE.NEWIPC);
    enterNetwork(s);
    setRootPropagation(s.rootfs, s.binds);
  } else {
    if (s.utsHost || s.ipc === "host" || s.ipcNamespace || s.shmSource) {
      throw new StartError("a standby made its UTS and IPC namespaces and copied the host's mounts ahead: --uts host and --ipc host, shareable or container: need a fresh start", 125);
    }
    if (cgroupNs) c.unshare(cgroupNs);
    enterNetwork(s, hostNet);
    closeSync(hostNet);
  }
  mountRootfs(s);
  mountSpecialFs(s);
  bindFiles(s);
  enterRoot(s);
  applySysctls(s.sysctls);
  maskPaths(s);
  // The working directory is made before the root turns read-only (as runc does).
  const cwd = s.cwd || "/";
  if (!existsSync(cwd)) mkdirSync(cwd, { recursive: true, mode: 0o755 });
  if (s.readonlyRootfs) c.mount(null, "/", null, c.MS.BIND | c.MS.REMOUNT | c.MS.RDONLY);
  if (!s.utsHost) {
    c.sethostname(s.hostname);
    if (s.domainname) c.setdomainname(s.domainname);
  }
  applyRlimits(s.rlimits);
  let user;
  try {
    user = resolveUser(s.user);
    user.groups.push(...resolveGroups(s.groupAdd).filter((g) => !user!.groups.includes(g)));
  } catch (e) {
    throw new StartError((e as Error).message, 126);
  }
  if (s.tty) takeTerminal(user);
  const env = [...s.env];
  if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${user.home}`);
  if (!env.some((e) => e.startsWith("PATH="))) env.unshift("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  if (s.tty && !env.some((e) => e.startsWith("TERM="))) env.push("TERM=xterm");
  const file = lookPath(s.args[0]!, env);
  c.chdir(cwd);
  applyOomScoreAdj(s.oomScoreAdj);
  dropPrivileges(s.capabilities, s.privileged, s.noNewPrivileges, user.uid, user.gid, user.groups, s.seccomp);
  // If the shim dies, so does the container (the whole PID namespace with its PID 1): nobody would
  // hold its stdio or record its end. Set after the identity change, which would clear it.
  c.prctl(c.PR.SET_PDEATHSIG, 9);
  if (s.init) return void superviseProgram(file, s.args, env).catch((e) => reportFailure(e, "container init failed"));
  c.setCloexec(CONTROL_FD);
  try {
    c.execve(file, s.args, env);
  } catch (e) {
    const err = e as c.SyscallError;
    throw new StartError(`exec: "${s.args[0]}": ${err.code === "EACCES" ? "permission denied" : err.message}`, err.code === "ENOENT" ? 127 : 126);
  }
}

export async function initMain(argv: string[]): Promise<void> {
  // A standby init (started ahead by a standby shim) learns its directory with "go DIR".
  const standby = argv[0] === "--standby";
  let hostNet: number | undefined;
  let early: unknown;
  if (standby) {
    try {
      hostNet = enterNamespacesEarly();
      bindOpenInRoot(); // every start binds /etc/hostname and the rest through it
    } catch (e) {
      early = e; // told after "go", when the shim listens for it
    }
  }
  const go = standby ? waitForGo() : undefined;
  if (early) reportFailure(early, "container init failed");
  const dir = standby ? go!.replace(/^go /, "") : argv[0]!;
  let spec: RuntimeSpec;
  try {
    spec = resolveSpec(dir, JSON.parse(readFileSync(join(dir, "config.json"), "utf8")));
  } catch (e) {
    // The shim is already listening on the control fd: tell it rather than die silently.
    if (standby) reportFailure(e, "container init failed");
    throw e;
  }
  if (!standby) waitForGo();
  try {
    if (!spec.args.length) throw new StartError("no command specified", 126);
    setup(spec, hostNet);
  } catch (e) {
    reportFailure(e, "container init failed");
  }
}

