// `berth __exec-enter FILE`, stage 2 of an exec: already in the container's
// PID namespace, it joins its IPC, UTS, network and mount namespaces, takes
// the requested identity and the container's capabilities, and execve()s.
import { existsSync, openSync, readFileSync } from "node:fs";
import * as c from "../libc.ts";
import { applyOomScoreAdj, applyRlimits } from "../init/settings.ts";
import { dropPrivileges, reportFailure, CONTROL_FD, waitForGo } from "../process.ts";
import type { ExecConfig } from "./config.ts";
import { lookUpExec } from "./look-up.ts";

export async function execEnterMain(argv: string[]): Promise<void> {
  const cfg: ExecConfig = JSON.parse(readFileSync(argv[0]!, "utf8"));
  // The mount namespace last: after it, /proc/PID paths are the container's.
  // A remapped container's network namespace was joined by stage 1, before its user namespace.
  const kinds = ["ipc", "uts", ...(cfg.userns ? [] : ["net"]), "cgroup", "mnt"].filter((ns) => existsSync(`/proc/${cfg.pid}/ns/${ns}`));
  const fds = kinds.map((ns) => openSync(`/proc/${cfg.pid}/ns/${ns}`, "r"));
  waitForGo();
  try {
    // setns into a mount namespace needs a private fs_struct; Bun's threads share ours.
    c.unshare(c.CLONE.FS);
    for (const fd of fds) c.setns(fd, 0);
    if (cfg.tty) {
      c.setsid();
      c.setControllingTty(0);
    }
    const { uid, gid, groups, file, env, cwd } = lookUpExec(cfg);
    c.chdir(cwd);
    applyRlimits(cfg.rlimits);
    applyOomScoreAdj(cfg.oomScoreAdj);
    dropPrivileges(cfg.capabilities, cfg.privileged, cfg.noNewPrivileges, uid, gid, groups, cfg.seccomp);
    // As the container's PID 1 does: the process dies with its parent, who alone relays and records it.
    c.prctl(c.PR.SET_PDEATHSIG, 9);
    c.setCloexec(CONTROL_FD);
    c.execve(file, cfg.args, env);
  } catch (e) {
    reportFailure(e, "exec failed");
  }
}
