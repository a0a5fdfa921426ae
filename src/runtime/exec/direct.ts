// An exec without a terminal, started straight from stage 1 (no second Bun
// process on the way, ~15 ms less). A child copies the namespaces,
// credentials, cgroups and capability bounds of the thread that spawns it,
// so this thread takes the container's for the length of one Bun.spawn and
// then takes its own back. Stage 1 runs one exec and nothing else, so what
// a thread cannot undo (the bounding set, no_new_privs) is of no harm here.
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import * as c from "../libc.ts";
import { openCgroup } from "../cgroups/index.ts";
import { capabilityMask, lastCapability } from "../capabilities.ts";
import { resolveUser } from "../user.ts";
import { lookPath, StartError, type StartFailure } from "../process.ts";
import type { ExecConfig } from "./config.ts";

type Stdio = "pipe" | "inherit" | "ignore";
type Proc = ReturnType<typeof Bun.spawn>;

/** The mount namespace last: after it, /proc/PID paths are the container's. */
const kinds = ["ipc", "uts", "net", "cgroup", "pid", "mnt"];

export function spawnDirect(cfg: ExecConfig, stdio: [Stdio, Stdio, Stdio]): { proc?: Proc; failure?: StartFailure } {
  const cgroup = openCgroup(cfg.cgroupPath, {});
  // A frozen cgroup would freeze this thread too.
  if (cgroup.frozen()) return { failure: { code: 126, message: "cannot exec in a paused container" } };
  const present = kinds.filter((ns) => existsSync(`/proc/${cfg.pid}/ns/${ns}`));
  // Opened with O_CLOEXEC (node's default): the program must never hold the host's namespaces.
  const target = present.map((ns) => openSync(`/proc/${cfg.pid}/ns/${ns}`, "r"));
  const home = present.map((ns) => openSync(`/proc/self/ns/${ns}`, "r"));
  const last = lastCapability((p) => readFileSync(p, "utf8"));
  const own = { uid: process.getuid!(), gid: process.getgid!(), groups: process.getgroups!(), caps: c.capget() };
  const undo: (() => void)[] = [];
  try {
    undo.push(cgroup.enterForSpawn());
    // setns into a mount namespace needs a private fs_struct; Bun's threads share ours.
    c.unshare(c.CLONE.FS);
    undo.push(() => {
      for (const fd of home) c.setns(fd, 0);
      c.chdir("/");
    });
    for (const fd of target) c.setns(fd, 0);
    let user;
    try {
      user = resolveUser(cfg.user);
    } catch (e) {
      throw new StartError((e as Error).message, 126);
    }
    const env = [...cfg.env];
    if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${user.home}`);
    const file = lookPath(cfg.args[0]!, env);
    const cwd = cfg.cwd || "/";
    if (!existsSync(cwd)) throw new StartError(`chdir to cwd ("${cwd}") set in config.json failed: no such file or directory`, 126);
    c.chdir(cwd);
    takeIdentity(cfg, user, last, own, undo);
    return { proc: Bun.spawn([file, ...cfg.args.slice(1)], { argv0: cfg.args[0], cwd, env: envRecord(env), stdio }) };
  } catch (e) {
    if (e instanceof StartError) return { failure: { code: e.code, message: e.message } };
    const err = e as c.SyscallError;
    const code = err.code === "ENOENT" ? 127 : 126;
    return { failure: { code, message: `exec: "${cfg.args[0]}": ${err.code === "EACCES" ? "permission denied" : err.message}` } };
  } finally {
    // Back in reverse order; a thread left half inside would run the shim in the container.
    for (const step of undo.reverse()) step();
    for (const fd of [...target, ...home]) closeSync(fd);
  }
}

/**
 * The program's identity on this thread: bounding set and inheritable
 * capabilities (root then starts with exactly those), groups, gid, uid with
 * the saved uid left at ours so the thread can come back.
 */
function takeIdentity(
  cfg: ExecConfig,
  user: { uid: number; gid: number; groups: number[] },
  last: number,
  own: { uid: number; gid: number; groups: number[]; caps: ReturnType<typeof c.capget> },
  undo: (() => void)[],
): void {
  const keep = cfg.privileged ? (1n << BigInt(last + 1)) - 1n : capabilityMask(cfg.capabilities);
  if (!cfg.privileged) {
    for (let cap = 0; cap <= last; cap++) if (!(keep & (1n << BigInt(cap)))) c.prctl(c.PR.CAPBSET_DROP, cap);
  }
  c.capset(own.caps.effective, own.caps.permitted, user.uid === 0 ? keep : 0n);
  undo.push(() => c.capset(own.caps.effective, own.caps.permitted, own.caps.inheritable));
  if (cfg.noNewPrivileges) c.prctl(c.PR.SET_NO_NEW_PRIVS, 1);
  undo.push(() => {
    c.setresuid(own.uid);
    c.setresgid(own.gid);
    c.setgroups(own.groups);
  });
  c.setgroups(user.groups);
  c.setresgid(user.gid, own.gid);
  c.setresuid(user.uid, own.uid);
}

function envRecord(env: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const i = e.indexOf("=");
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}
