// What the container shim and the exec shim share: the attach socket (opened
// before the program starts, so a `run -a` client misses nothing), the
// line reported to whoever spawned the shim, and the copying of the
// program's output and input between its pipes or PTY and the clients.
import { createReadStream, renameSync, rmSync, writeSync } from "node:fs";
import type net from "node:net";
import { nodeNet } from "../../builtins.ts";
import * as c from "../libc.ts";
import { AttachHub } from "./attach.ts";
import { shortSocketPath } from "./socket.ts";
import type { LogWriter } from "./log.ts";

/** Tells the spawner (our stdout, a pipe it reads until "started"/"failed"). */
export function report(line: string): void {
  try {
    writeSync(1, line + "\n");
  } catch {
    // The spawner went away; the state file still tells.
  }
}

export const signalNumbers: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19,
  SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28,
  SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};

/** "SIGTERM", "TERM", "15" or 15 → 15. */
export function signalNumber(sig: string | number): number {
  if (typeof sig === "number") return sig;
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = sig.toUpperCase().startsWith("SIG") ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
  const n = signalNumbers[name];
  if (n === undefined) throw new Error(`Invalid signal: ${sig}`);
  return n;
}

/**
 * A shim's attach socket. A standby shim opens it before its container is
 * known (a start then needs no listen), and renames it on assignment. Nobody
 * knows a standby's socket, so a connection before its session is refused.
 */
export class AttachListener {
  readonly server: net.Server;
  private accept?: (sock: net.Socket) => void;

  private constructor(public path: string) {
    // Half-open: a client that ends its stdin still receives the output that follows.
    this.server = nodeNet().createServer({ allowHalfOpen: true }, (sock) => (this.accept ? this.accept(sock) : sock.destroy()));
  }

  /** Resolves once the socket listens (connections then queue in the kernel even while this process blocks). */
  static async open(path: string): Promise<AttachListener> {
    const l = new AttachListener(path);
    rmSync(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      l.server.once("error", reject);
      l.server.listen(shortSocketPath(path), () => resolve());
    });
    return l;
  }

  /** Gives the socket its container's name (a rename keeps it listening). */
  moveTo(path: string): void {
    renameSync(this.path, path);
    this.path = path;
  }

  handTo(accept: (sock: net.Socket) => void): void {
    this.accept = accept;
  }

  close(): void {
    this.server.close();
    rmSync(this.path, { force: true });
  }
}

/**
 * How long the output waits at most for announced attachments, from the program's start, while
 * the daemon that announced them lives (it waits no longer once that daemon is gone).
 */
export const announcedWaitCapMs = 120_000;

export class Session {
  readonly hub: AttachHub;

  private constructor(private listener: AttachListener, tty: boolean) {
    this.hub = new AttachHub(tty);
    listener.handTo((sock) => this.hub.accept(sock));
  }

  /**
   * Listens on `socketPath` (taking over a standby's socket if given) and
   * reports "listening". The `attachCount` clients announced connect while
   * the program starts; they get its output from the first byte (see
   * announcedWaitCapMs).
   */
  static async open(socketPath: string, tty: boolean, attachCount: number, standby?: AttachListener, say: (line: string) => void = report): Promise<Session> {
    let listener = standby;
    if (listener) listener.moveTo(socketPath);
    else listener = await AttachListener.open(socketPath);
    const s = new Session(listener, tty);
    s.hub.expect(attachCount);
    say("listening");
    return s;
  }

  /**
   * Ends every client's stream, once the announced ones had theirs, and stops
   * listening. After a failed start nothing ran that they could miss: no wait.
   */
  async close(opts: { waitForAnnounced?: boolean } = {}): Promise<void> {
    if (opts.waitForAnnounced !== false) await this.hub.settled();
    await this.hub.closeAll();
    this.listener.close();
  }
}

type Proc = ReturnType<typeof Bun.spawn>;

const maxPendingOutput = 4 << 20;

/**
 * Copies output to the log (if any) and the clients, and clients' stdin to
 * the program. Resolves when the output has ended.
 */
export function relay(hub: AttachHub, proc: Proc, o: { ptyMaster?: number; log?: LogWriter; openStdin: boolean; stdinOnce: boolean }): Promise<unknown> {
  const pump = async (stream: AsyncIterable<Uint8Array>, which: 1 | 2) => {
    for await (const chunk of stream) {
      o.log?.write(which === 1 ? "stdout" : "stderr", chunk);
      hub.broadcast(which, chunk);
      // Output kept for attachments still on their way is bounded: the program waits for them.
      if (hub.pendingBytes > maxPendingOutput) await hub.settled();
    }
  };
  if (o.ptyMaster !== undefined) {
    const master = o.ptyMaster;
    const out = createReadStream("", { fd: master, highWaterMark: 65536, autoClose: false });
    hub.connectStdin((b) => {
      try {
        writeSync(master, b);
      } catch {
        // The terminal closed with the program: typed input has nowhere to go.
      }
    }, () => {});
    hub.onResize = (h, w) => {
      try {
        c.setWindowSize(master, h, w);
      } catch {
        // Gone with the program: no terminal left to size.
      }
    };
    // A PTY reports EIO once the last slave holder is gone.
    return pump(out as AsyncIterable<Uint8Array>, 1).catch(() => {}); // EIO ends the pump; the exit is reported by the process's own end
  }
  if (o.openStdin && proc.stdin) {
    const sink = proc.stdin as import("bun").FileSink;
    hub.connectStdin(
      (b) => {
        try {
          sink.write(b);
          sink.flush();
        } catch {
          // The program closed its stdin or exited: input after that is dropped, as with a pipe.
        }
      },
      () => {
        if (!o.stdinOnce) return; // a detached client leaves stdin open for the next one
        try {
          sink.end();
        } catch {
          // Already closed by the program's exit.
        }
      },
    );
  }
  return Promise.all([
    // A read error is the pipe's end: the program's exit is what the shim reports.
    pump(proc.stdout as unknown as AsyncIterable<Uint8Array>, 1).catch(() => {}),
    pump(proc.stderr as unknown as AsyncIterable<Uint8Array>, 2).catch(() => {}),
  ]);
}

/**
 * Waits for the output to drain. A PTY ends (EIO) once the kernel has handed over
 * everything written to it and the last holder of its other side is gone; a
 * process the program left in the background may hold it on, so that wait is
 * capped. The cap is generous because on a loaded host the end can come late.
 */
export async function drain(output: Promise<unknown>, pty: boolean, capMs = ptyDrainCapMs.container): Promise<void> {
  if (pty) await Promise.race([output, Bun.sleep(capMs)]);
  else await output;
}

/**
 * A container's PTY: its PID 1 has exited, so the kernel kills every other process
 * of the namespace and the end comes promptly. An exec's: background processes
 * may live on in the container, so a shorter cap.
 */
export const ptyDrainCapMs = { container: 3000, exec: 1000 };

/** 128 + signal for a signal death, as Docker reports it. */
export function exitCodeOf(proc: Proc, code: number | null): number {
  const sig = proc.signalCode ? signalNumbers[proc.signalCode] ?? 0 : 0;
  return sig ? 128 + sig : code ?? 0;
}
