// `run --init` (HostConfig.Init): stage 2, already PID 1 in the container's
// namespaces with the container's identity, stays there the way Docker's
// docker-init (tini) does instead of becoming the program: it runs the
// program as its child, passes on the signals it gets (PID 1 has no default
// actions, so a program that never expected to be PID 1 still stops on
// SIGTERM), reaps the orphans the kernel hands to it (as a child subreaper,
// docker-init's -s, so that they come to it also where it is not PID 1: under
// --pid host or container:), and exits with the program's status. No file is
// put into the container: the process is the one already running, so images
// without a libc work too.
import { closeSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { PR, prctl, reapAny, waitStatusCode } from "../libc.ts";
import { CONTROL_FD } from "../process.ts";
import { StartError } from "../start-error.ts";

const forwarded: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT", "SIGALRM"];

/** Starts the program; returns only by exiting with its status. */
export async function superviseProgram(file: string, args: string[], env: string[]): Promise<never> {
  let child: ReturnType<typeof Bun.spawn>;
  // Before the program starts, so that none of its orphans goes past this process.
  prctl(PR.SET_CHILD_SUBREAPER, 1);
  try {
    child = Bun.spawn([file, ...args.slice(1)], {
      argv0: args[0],
      stdio: ["inherit", "inherit", "inherit"],
      env: Object.fromEntries(env.map((e) => [e.slice(0, Math.max(0, e.indexOf("="))), e.slice(e.indexOf("=") + 1)])),
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new StartError(`exec: "${args[0]}": ${code === "EACCES" ? "permission denied" : (e as Error).message}`, code === "ENOENT" ? 127 : 126);
  }
  // Started: the shim reads the control pipe's end as success (as after an execve).
  closeSync(CONTROL_FD);
  for (const sig of forwarded) {
    process.on(sig, () => {
      try {
        process.kill(child.pid, sig);
      } catch {
        // already gone
      }
    });
  }
  // Orphans re-parented to PID 1 would stay zombies without this. The program
  // itself may be reaped here first, so its status is taken from either side.
  const reap = () => {
    for (let r = reapAny(); r; r = reapAny()) if (r.pid === child.pid) process.exit(waitStatusCode(r.status));
  };
  const timer = setInterval(reap, 50);
  const code = await child.exited;
  clearInterval(timer);
  reap();
  const sig = child.signalCode;
  process.exit(sig ? 128 + (typeof sig === "number" ? sig : (osConstants.signals as Record<string, number>)[sig] ?? 0) : code ?? 0);
}
