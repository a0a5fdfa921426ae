// A remapped container's start, in runc's order: the network namespace to
// join is entered first (it belongs to the host's user namespace), then the
// child is cloned into new user and PID namespaces, mapped, put in its
// cgroup, given its root, and only then let go on to stage 2.
import { closeSync, openSync } from "node:fs";
import * as c from "../libc.ts";
import type { Cgroup } from "../cgroups/index.ts";
import type { RuntimeSpec } from "../spec.ts";
import { userNamespaceOf } from "./idmapped-mount.ts";
import { mountRemappedRootfs } from "./remapped-rootfs.ts";
import { spawnMapped } from "./spawn.ts";

type Proc = ReturnType<typeof Bun.spawn>;

export interface RemappedInit {
  /** The starter, the shim's child: it exits with the container's status. */
  proc: Proc;
  /** The container's PID 1 on the host. */
  pid: number;
  /** Detaches the root from the shim's mount namespace; call once stage 2 has answered. */
  detachRoot(): void;
}

/** Runs `fn` on this thread with `network` (a namespace's path) joined, when it names one. */
export function inNetworkOf<T>(network: string, fn: () => T): T {
  if (network === "none" || network === "host") return fn();
  const own = openSync("/proc/thread-self/ns/net", "r");
  const target = openSync(network, "r");
  c.setns(target, c.CLONE.NEWNET);
  closeSync(target);
  try {
    return fn();
  } finally {
    c.setns(own, c.CLONE.NEWNET);
    closeSync(own);
  }
}

export function startRemappedInit(spec: RuntimeSpec, command: string[], stdio: unknown[], cgroup: Cgroup): RemappedInit {
  const ns = spec.userns!;
  const child = inNetworkOf(spec.network, () => spawnMapped(ns, command, stdio));
  try {
    cgroup.addProcess(child.pid);
    const fd = userNamespaceOf(child.pid);
    let detachRoot: () => void;
    try {
      detachRoot = mountRemappedRootfs(spec, ns, fd);
    } finally {
      closeSync(fd);
    }
    child.release();
    return { proc: child.proc, pid: child.pid, detachRoot };
  } catch (e) {
    child.kill();
    throw e;
  }
}
