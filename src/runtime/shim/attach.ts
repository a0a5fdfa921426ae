// Clients of a shim's socket. Each connection starts with one JSON line:
//  - {"stdin":bool,"stdout":bool,"stderr":bool,"raw"?:bool}: an attachment. It
//    then receives the output as Docker stream frames ([stream,0,0,0,len32be]
//    + bytes), or the bare bytes with "raw" (for TTYs), and may send stdin
//    bytes; ending its half of the connection ends stdin only with StdinOnce,
//    and not after a {"detach":TOKEN} naming its "token" (detach keys).
//  - control requests, answered with one JSON line and closed:
//    {"resize":[rows,cols]} → {"ok":true}; {"detach":TOKEN} → {"ok":true}.
//    (Signals and stop are the runtime's, sent to the process directly.)
import type { Socket } from "node:net";

interface Client {
  sock: Socket;
  stdout: boolean;
  stderr: boolean;
  raw: boolean;
  /** Named by the attaching side so that it can later say "detached, not EOF". */
  token?: string;
  detached?: boolean;
}

/** How often a shim looks whether the daemon that announced attachments is still there. */
const announcerPollMs = 250;

export class AttachHub {
  private clients = new Set<Client>();
  private waiting: (() => void)[] = [];
  private streamClients = 0;
  /** Attachments announced before the start: until they are all here, output is also kept for them. */
  private expected = 0;
  private backlog?: { stream: 1 | 2; data: Uint8Array }[];
  private backlogBytes = 0;
  private expectTimer?: ReturnType<typeof setTimeout>;
  /** Stdin that came before the container's stdin was ready (a `run -i` attaches first). */
  private early: Uint8Array[] = [];
  private earlyEnd = false;
  private stdinWrite?: (b: Uint8Array) => void;
  private stdinEnd?: () => void;
  onResize?: (h: number, w: number) => void;
  /**
   * Every stream has been ended: a client that comes (or says what it wants) after that is
   * ended at once. A group shim lives on after this container, so nothing else would end it.
   */
  private closed = false;

  constructor(readonly tty: boolean) {}

  accept(sock: Socket): void {
    if (this.closed) {
      sock.end();
      return;
    }
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(0x0a);
      if (nl < 0) return;
      sock.off("data", onData);
      let hello: any;
      try {
        hello = JSON.parse(head.subarray(0, nl).toString("utf8"));
      } catch {
        sock.destroy();
        return;
      }
      const rest = head.subarray(nl + 1);
      const answer = (o: unknown) => sock.end(JSON.stringify(o) + "\n");
      if (hello.resize) {
        this.onResize?.(Number(hello.resize[0]), Number(hello.resize[1]));
        answer({ ok: true });
        return;
      }
      if (typeof hello.detach === "string") {
        for (const c of this.clients) if (c.token === hello.detach) c.detached = true;
        answer({ ok: true });
        return;
      }
      if (this.closed) {
        sock.end();
        return;
      }
      const client: Client = { sock, stdout: !!hello.stdout, stderr: !!hello.stderr, raw: !!hello.raw, token: typeof hello.token === "string" ? hello.token : undefined };
      // An announced attachment that comes after the program started gets what it missed first.
      for (const b of this.backlog ?? []) this.send(client, b.stream, b.data);
      this.clients.add(client);
      sock.on("close", () => this.clients.delete(client));
      sock.on("error", () => this.clients.delete(client));
      if (hello.stdin) {
        if (rest.length) this.stdin(rest);
        sock.on("data", (b: Buffer) => this.stdin(b));
        sock.on("end", () => !client.detached && this.endStdin());
      }
      this.streamClients++;
      if (this.streamClients >= this.expected) this.settle();
    };
    sock.on("data", onData);
    sock.on("error", () => {});
  }

  private stdin(b: Uint8Array): void {
    if (this.stdinWrite) this.stdinWrite(b);
    else this.early.push(b);
  }

  private endStdin(): void {
    if (this.stdinEnd) this.stdinEnd();
    else this.earlyEnd = true;
  }

  /** Connects the container's stdin, replaying what arrived before it existed. */
  connectStdin(write: (b: Uint8Array) => void, end: () => void): void {
    this.stdinWrite = write;
    this.stdinEnd = end;
    for (const b of this.early.splice(0)) write(b);
    if (this.earlyEnd) end();
  }

  /**
   * Announces `n` attachments (the daemon's, for `docker run`) that connect
   * while the program already runs: its output is kept for them until they
   * are all here, or until the time startClock gives them has passed, so they
   * miss nothing.
   */
  expect(n: number): void {
    if (this.streamClients >= n) return;
    this.expected = n;
    this.backlog = [];
  }

  /**
   * Starts the announced attachments' wait; the shim calls it once the program runs (until then
   * it accepted no connection: starting the program blocks it). They are waited for while
   * `announcerAlive` holds (the daemon that announced them: on a loaded host it may take many
   * seconds to connect, and a fixed wait lost their output), and `capMs` at most.
   */
  startClock(capMs: number, announcerAlive: () => boolean = () => true): void {
    if (!this.backlog || this.expectTimer) return;
    const deadline = Date.now() + capMs;
    const later = () => {
      this.expectTimer = setTimeout(check, Math.max(1, Math.min(announcerPollMs, deadline - Date.now())));
      this.expectTimer.unref?.();
    };
    const check = () => (Date.now() >= deadline || !announcerAlive() ? this.settle() : later());
    later();
  }

  private settle(): void {
    this.backlog = undefined;
    this.backlogBytes = 0;
    clearTimeout(this.expectTimer);
    for (const w of this.waiting.splice(0)) w();
  }

  /** Resolves once the announced attachments are all here (or their time ran out). */
  settled(): Promise<void> {
    if (!this.backlog) return Promise.resolve();
    return new Promise((r) => this.waiting.push(r));
  }

  /** Output kept for late attachments, in bytes (the relay waits when it grows large). */
  get pendingBytes(): number {
    return this.backlogBytes;
  }

  broadcast(stream: 1 | 2, data: Uint8Array): void {
    if (this.backlog) {
      this.backlog.push({ stream, data });
      this.backlogBytes += data.length;
    }
    for (const c of this.clients) this.send(c, stream, data);
  }

  private send(c: Client, stream: 1 | 2, data: Uint8Array): void {
    if (stream === 1 ? !c.stdout : !c.stderr) return;
    if (c.raw) {
      c.sock.write(data);
      return;
    }
    const framed = Buffer.alloc(8 + data.length);
    framed[0] = stream;
    framed.writeUInt32BE(data.length, 4);
    framed.set(data, 8);
    c.sock.write(framed);
  }

  /**
   * Ends every client's stream. Resolves once each socket took its last bytes
   * (or closed): output still queued in this process is lost if it exits
   * sooner. Bounded, so that a client that stopped reading cannot hold up the exit's record.
   */
  closeAll(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    const ended = [...this.clients].map(
      (c) =>
        new Promise<void>((resolve) => {
          c.sock.once("close", () => resolve());
          c.sock.end(() => resolve());
        }),
    );
    this.clients.clear();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    return Promise.race([Promise.all(ended), bound]).then(() => clearTimeout(timer));
  }
}
