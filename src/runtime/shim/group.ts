// A shim for several containers (`berth __shim --standby SOCKET_DIR [CGROUP_PARENT]`), as
// containerd's shim v2 can group containers: a Bun process costs ~5 MB of its own, one more
// container in it little. It loads and prepares a stage 2 first (prepareStandby), then takes
// containers one line at a time on stdin, {"tag","argv"} with argv as `__shim DIR …` takes it,
// and reports each one's lines ("listening", "started PID", "failed …", "exited") on stdout
// after its tag. Starts run side by side (a burst of runs lands in the shims there are, not in
// a new process per container): the first takes the prepared stage 2, the others start their
// own. The daemon ends stdin when it will send no more (the shim is full, not needed, or the
// daemon is gone): the shim then drops what it prepared and exits after its last container.
// A shim that dies takes its containers along (their PID 1s have PDEATHSIG), as a crashed
// containerd shim loses its own: the daemon reports each as exited 137.
import { discardStandby, prepareStandby, startContainer, type Prepared } from "./container.ts";
import { report } from "./session.ts";
import { StartError } from "../start-error.ts";
import { setProcessNice } from "../libc.ts";
import { closeSync, openSync } from "node:fs";

/** The nice value of a shim with no container: what it does then (boot, prepare a stage 2) must not slow a start in progress. */
const idleNice = 10;

/** How often a shim looks whether its daemon is still there (its parent). */
const daemonWatchMs = 1000;

/** After a start, the next stage 2 waits this long, not to compete with the start's own end (as the daemon's standby refill, driver/standby-refill.ts). */
const prepareDelayMs = 100;

interface Assignment {
  tag: string;
  argv: string[];
}

function parseAssignment(line: string): Assignment | undefined {
  try {
    const a = JSON.parse(line);
    if (typeof a?.tag === "string" && /^\w+$/.test(a.tag) && Array.isArray(a.argv) && a.argv.every((x: unknown) => typeof x === "string")) return a;
  } catch {
    // Not JSON: refused below like any malformed line.
  }
  return undefined;
}

export async function groupShimMain(socketDir?: string, cgroupParent?: string): Promise<void> {
  // One container's unexpected error must not end the others' shim: it is written where the shim's errors go.
  const complain = (e: unknown): void => void process.stderr.write(`berth shim: ${(e as Error)?.stack ?? e}\n`);
  process.on("uncaughtException", complain);
  process.on("unhandledRejection", complain);

  // Load everything, and start stage 2, first: that is the time a standby saves.
  let prepared: Promise<Prepared> | undefined = prepareStandby(socketDir, cgroupParent);
  let open = true;
  /** The daemon's line has ended and what was prepared is gone: the last container's end ends the shim. */
  let finished = false;
  let running = 0;
  let seq = 0;
  let niced = false;
  /** Starts under way: one may hold the prepared stage 2, whose socket still has the standby's name, which a new one would take. */
  let starting = 0;
  let prepareTimer: ReturnType<typeof setTimeout> | undefined;
  const leaveWhenDone = () => {
    if (running > 0) return;
    if (finished) process.exit(0);
    if (starting > 0) return; // a start under way keeps normal priority
    setProcessNice(process.pid, idleNice);
    niced = false;
  };
  const takePrepared = async () => {
    const p = prepared;
    prepared = undefined;
    return p?.catch(() => undefined); // none ready: the container's stage 2 is started for it
  };

  const assign = async (a: Assignment) => {
    starting++;
    clearTimeout(prepareTimer);
    const say = (line: string) => report(`${a.tag} ${line}`);
    running++;
    let done: Promise<number>;
    try {
      const ready = await takePrepared();
      // The daemon booted us at a low priority (idleNice), so as not to slow the start in progress then; work is normal priority.
      if (!niced) setProcessNice(process.pid, 0);
      niced = true;
      if (ready) setProcessNice(ready.init.pid, 0);
      done = (await startContainer(a.argv, ready, say, `exited-${process.pid}-${++seq}`)).done;
    } catch (e) {
      // Whatever failed, the daemon hears of it: it waits for this container's lines.
      say(`failed ${new StartError(`container shim: ${(e as Error).message}`, 125).toReport()}`);
      done = Promise.resolve(1);
    }
    void done.catch(complain).finally(() => {
      running--;
      leaveWhenDone();
    });
    starting--;
    if (!open || starting > 0) return;
    clearTimeout(prepareTimer);
    prepareTimer = setTimeout(() => {
      if (open && !prepared && starting === 0) prepared = prepareStandby(socketDir, cgroupParent);
    }, prepareDelayMs);
  };

  // Each assignment starts as it comes; these are the starts under way.
  const underWay = new Set<Promise<void>>();
  let buf = "";
  const decoder = new TextDecoder();
  // A daemon that died (kill -9) ends the line as the end of stdin does, even if another process
  // holds the daemon's end of that stdin open (one standby so outlived its daemon by an hour).
  const daemon = process.ppid;
  let daemonGone!: () => void;
  const gone = new Promise<void>((resolve) => (daemonGone = resolve));
  const watch = setInterval(() => process.ppid !== daemon && daemonGone(), daemonWatchMs);
  watch.unref?.();
  const lineEnded = (async () => {
    for await (const chunk of Bun.stdin.stream()) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const a = parseAssignment(line);
        if (a) {
          const p: Promise<void> = assign(a)
            .catch(complain)
            .finally(() => underWay.delete(p));
          underWay.add(p);
        }
        else complain(new Error(`malformed assignment: ${line.slice(0, 200)}`));
      }
    }
  })().catch(complain); // a read error ends the daemon's line as its end does
  await Promise.race([lineEnded, gone]);
  clearInterval(watch);
  // The daemon sends no more: what was prepared goes, and the shim goes with its last container.
  // Nothing of the daemon's is kept: stdin becomes /dev/null (fd 0 again).
  open = false;
  closeSync(0);
  openSync("/dev/null", "r");
  clearTimeout(prepareTimer);
  await Promise.all(underWay);
  const left = await takePrepared();
  if (left) discardStandby(left);
  finished = true;
  leaveWhenDone();
}
