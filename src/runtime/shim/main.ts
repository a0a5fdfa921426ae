// Stage 1 (`berth __shim DIR SOCKET ATTACH_COUNT`): the container's parent for
// its whole life. It creates the cgroup, starts stage 2 in a new PID namespace
// (the two-stage pattern of DESIGN.md), holds the container's stdio (pipes or a
// PTY), appends the json-file log, serves attach clients on SOCKET, and records
// the exit in state.json. It is detached from the daemon, so containers keep
// running when the daemon stops.
import { openSync, closeSync, readFileSync, writeSync, rmSync, createReadStream, constants as fsConstants } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import * as c from "../libc.ts";
import type { RuntimeSpec } from "../spec.ts";
import { openCgroup } from "../cgroups.ts";
import { selfCommand } from "../../self.ts";
import { writeState, nowRfc3339, type ShimState } from "./state.ts";
import { LogWriter } from "./log.ts";
import { AttachHub } from "./attach.ts";
import { readControlReply } from "../process.ts";

/** Tells the daemon (our stdout, a pipe it reads until "started"/"failed"). */
function report(line: string): void {
  try {
    writeSync(1, line + "\n");
  } catch {
    // The daemon went away; the state file still tells.
  }
}

const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

export async function shimMain(argv: string[]): Promise<void> {
  const [dir, socketPath, attachCountRaw] = argv as [string, string, string];
  const spec: RuntimeSpec = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  const log = new LogWriter(spec.logPath);
  const hub = new AttachHub(spec.tty);
  const cgroup = openCgroup(spec.cgroupPath, spec.resources);

  // Half-open: a client that ends its stdin still receives the output that follows.
  const server = net.createServer({ allowHalfOpen: true }, (sock) => hub.accept(sock));
  rmSync(socketPath, { force: true });
  await new Promise<void>((r) => server.listen(socketPath, () => r()));
  report("listening");
  await hub.waitForClients(Number(attachCountRaw) || 0, 10_000);

  let pty: { master: number; slavePath: string } | undefined;
  let slave: number | undefined;
  if (spec.tty) {
    pty = c.openPty();
    // O_NOCTTY: the shim is a session leader and must not take the terminal as its own.
    slave = openSync(pty.slavePath, fsConstants.O_RDWR | fsConstants.O_NOCTTY);
  }

  let proc: ReturnType<typeof Bun.spawn>;
  try {
    cgroup.create();
    const pidns = openSync("/proc/self/ns/pid", "r");
    c.unshare(c.CLONE.NEWPID);
    try {
      proc = Bun.spawn([...selfCommand(), "__init", dir], {
        stdio: (spec.tty ? [slave!, slave!, slave!, "pipe"] : [spec.openStdin ? "pipe" : "ignore", "pipe", "pipe", "pipe"]) as any,
        env: {},
      });
    } finally {
      c.setns(pidns, c.CLONE.NEWPID);
      closeSync(pidns);
    }
    cgroup.addProcess(proc.pid);
  } catch (e) {
    report(`failed ${JSON.stringify({ code: 125, message: (e as Error).message })}`);
    cgroup.remove();
    server.close();
    rmSync(socketPath, { force: true });
    process.exit(1);
  }
  if (slave !== undefined) closeSync(slave);
  const control = proc.stdio[3] as unknown as number;
  writeSync(control, "go\n");
  const failure = readControlReply(control);
  closeSync(control);

  const state: ShimState = { shimPid: process.pid, pid: proc.pid, status: "running", startedAt: nowRfc3339() };
  if (failure) {
    const err = JSON.parse(failure) as { code: number; message: string };
    await proc.exited;
    Object.assign(state, { status: "exited", finishedAt: nowRfc3339(), exitCode: err.code, error: err.message });
    writeState(dir, state);
    report(`failed ${failure}`);
    hub.closeAll();
    cgroup.remove();
    server.close();
    rmSync(socketPath, { force: true });
    process.exit(0);
  }
  writeState(dir, state);
  report(`started ${proc.pid}`);
  // From here on nobody reads our stdout; keep the pipe from killing us.
  process.stdout.on("error", () => {});

  // Output: log it and copy it to the attached clients.
  const pumps: Promise<void>[] = [];
  const pump = async (stream: AsyncIterable<Uint8Array>, which: 1 | 2) => {
    for await (const chunk of stream) {
      log.write(which === 1 ? "stdout" : "stderr", chunk);
      hub.broadcast(which, chunk);
    }
  };
  if (pty) {
    const master = createReadStream("", { fd: pty.master, highWaterMark: 65536, autoClose: false });
    pumps.push(pump(master as AsyncIterable<Uint8Array>, 1).catch(() => {}));
    hub.connectStdin(
      (b) => {
        try {
          writeSync(pty!.master, b);
        } catch {}
      },
      () => {},
    );
    hub.onResize = (h, w) => {
      try {
        c.setWindowSize(pty!.master, h, w);
      } catch {}
    };
  } else {
    pumps.push(pump(proc.stdout as ReadableStream<Uint8Array> as any, 1));
    pumps.push(pump(proc.stderr as ReadableStream<Uint8Array> as any, 2));
    if (spec.openStdin) {
      const sink = proc.stdin as import("bun").FileSink;
      hub.connectStdin(
        (b) => {
          try {
            sink.write(b);
            sink.flush();
          } catch {}
        },
        () => {
          if (!spec.stdinOnce) return; // a detached client leaves stdin open for the next one
          try {
            sink.end();
          } catch {}
        },
      );
    }
  }
  hub.onSignal = (sig) => {
    try {
      process.kill(proc.pid, signals[sig] ?? Number(sig) ?? 15);
    } catch {}
  };

  const code = await proc.exited;
  const signal = proc.signalCode ? signals[proc.signalCode] ?? 0 : 0;
  if (pty) {
    // Give the reader a moment to drain what the program wrote last.
    await Promise.race([Promise.all(pumps), Bun.sleep(200)]);
  } else {
    await Promise.all(pumps);
  }
  log.flush();
  Object.assign(state, {
    status: "exited",
    finishedAt: nowRfc3339(),
    exitCode: signal ? 128 + signal : code ?? 0,
    oomKilled: cgroup.oomKilled(),
  });
  writeState(dir, state);
  hub.closeAll();
  cgroup.remove();
  server.close();
  rmSync(socketPath, { force: true });
  process.exit(0);
}
