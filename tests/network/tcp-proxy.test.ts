// The userland TCP proxy on its own (src/network/proxy): bytes arrive whole both
// ways through the splice pump, a half-close passes through, many connections
// go at once, a stop frees the port at once and ends its connections, a
// container that does not answer closes the client's connection, and a
// retarget moves the next connections; what comes while the connect to the
// container is still under way waits for it.
import { afterAll, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import { ptr } from "bun:ffi";
import { proxyTcp, type TcpProxy } from "../../src/network/proxy/tcp.ts";
import { listenTcp, NONBLOCK_CLOEXEC, sys } from "../../src/network/proxy/sockets.ts";

const opened: (TcpProxy | Server)[] = [];
afterAll(() => {
  for (const x of opened) "stop" in x ? x.stop() : x.close();
});

/** A server that reads a connection to its end, then answers with the SHA-256 of what it read and `reply` bytes. */
async function hashServer(reply: Buffer): Promise<number> {
  const s = createServer({ allowHalfOpen: true }, (c) => {
    const h = createHash("sha256");
    c.on("data", (d: Buffer) => h.update(d));
    c.on("end", () => {
      c.write(h.digest("hex") + "\n");
      c.end(reply);
    });
    c.on("error", () => {});
  });
  opened.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return (s.address() as { port: number }).port;
}

/** Sends `body`, half-closes, and reads the answer to its end (30 s at most). */
function exchange(port: number, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c: Socket = createConnection({ host: "127.0.0.1", port, allowHalfOpen: true });
    const got: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error("no end within 30 s")), 30_000);
    c.on("data", (d: Buffer) => got.push(d));
    c.on("end", () => {
      clearTimeout(timer);
      c.end();
      resolve(Buffer.concat(got));
    });
    c.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    c.end(body);
  });
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function proxy(port: number, targetPort: number): TcpProxy {
  const p = proxyTcp("127.0.0.1", port, "127.0.0.1", targetPort);
  opened.push(p);
  return p;
}

test("16 MiB each way arrive whole, after a half-close from the client", async () => {
  const reply = randomBytes(16 << 20);
  const p = proxy(0, await hashServer(reply));
  expect(p.port).toBeGreaterThan(0);
  const body = randomBytes(16 << 20);
  const answer = await exchange(p.port, body);
  const nl = answer.indexOf(10);
  expect(answer.subarray(0, nl).toString()).toBe(sha(body));
  expect(sha(answer.subarray(nl + 1))).toBe(sha(reply));
});

test("50 connections at once each get their own answer", async () => {
  const p = proxy(0, await hashServer(Buffer.from("done")));
  const bodies = Array.from({ length: 50 }, (_, i) => randomBytes(1000 + i * 997));
  const answers = await Promise.all(bodies.map((b) => exchange(p.port, b)));
  answers.forEach((a, i) => expect(a.toString()).toBe(`${sha(bodies[i]!)}\ndone`));
});

test("a taken port fails at once with EADDRINUSE; a stop frees it at once and ends the open connections", async () => {
  const target = await hashServer(Buffer.alloc(0));
  const p = proxyTcp("127.0.0.1", 0, "127.0.0.1", target);
  let taken: unknown;
  try {
    proxyTcp("127.0.0.1", p.port, "127.0.0.1", target);
  } catch (e) {
    taken = e;
  }
  expect((taken as { code?: string })?.code).toBe("EADDRINUSE");

  // A connection that is open (it has not half-closed) when the proxy stops: held by a server that only reads.
  let reached: () => void = () => {};
  const held = new Promise<void>((r) => (reached = r));
  const quiet = createServer((c) => {
    reached();
    c.on("error", () => {});
  });
  opened.push(quiet);
  await new Promise<void>((r) => quiet.listen(0, "127.0.0.1", r));
  const q = proxyTcp("127.0.0.1", 0, "127.0.0.1", (quiet.address() as { port: number }).port);
  const c = createConnection({ host: "127.0.0.1", port: q.port });
  const ended = new Promise<void>((r) => c.on("close", () => r()).on("error", () => {}));
  await held; // the pump has connected it through
  q.stop();
  p.stop();
  await ended;
  const again = proxy(p.port, target);
  expect(again.port).toBe(p.port);
  expect((await exchange(again.port, Buffer.from("x"))).toString()).toBe(`${sha(Buffer.from("x"))}\n`);
});

test("when nothing answers at the target the client's connection is closed, not left hanging", async () => {
  // A port that was listening a moment ago and is closed now: connecting to it is refused.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const dead = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  const p = proxy(0, dead);
  const closed = await new Promise<string>((resolve) => {
    const c = createConnection({ host: "127.0.0.1", port: p.port });
    const timer = setTimeout(() => resolve("still open after 20 s"), 20_000);
    c.on("close", () => {
      clearTimeout(timer);
      resolve("closed");
    });
    c.on("error", () => {});
  });
  expect(closed).toBe("closed");
});

test("a retarget sends the next connections where the target function says now", async () => {
  // Two "containers" on one port number at two addresses.
  const port = await hashServer(Buffer.from("first"));
  const other = createServer({ allowHalfOpen: true }, (c) => {
    c.on("data", () => {});
    c.on("end", () => c.end("moved"));
    c.on("error", () => {});
  });
  opened.push(other);
  await new Promise<void>((r) => other.listen(port, "127.0.0.3", r));
  const at = { addr: "127.0.0.1" };
  const p = proxyTcp("127.0.0.1", 0, () => at.addr, port);
  opened.push(p);
  expect((await exchange(p.port, Buffer.from("a"))).toString()).toBe(`${sha(Buffer.from("a"))}\nfirst`);
  at.addr = "127.0.0.3";
  p.retarget();
  expect((await exchange(p.port, Buffer.from("b"))).toString()).toBe("moved");
});

/** Sockets of this namespace in SYN_SENT towards 127.0.0.1:port (/proc/net/tcp: state 02). */
function connectsUnderWay(port: number): number {
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return readFileSync("/proc/net/tcp", "utf8").split("\n").filter((l) => l.trim().split(/\s+/)[2] === remote && l.trim().split(/\s+/)[3] === "02").length;
}

/** Accepts on a raw listener (non-blocking) the next connection, within 10 s. */
async function acceptOne(fd: number): Promise<number> {
  for (const end = Date.now() + 10_000; Date.now() < end; await Bun.sleep(5)) {
    const c = sys.accept4(fd, null, null, NONBLOCK_CLOEXEC);
    if (c >= 0) return c;
  }
  throw new Error("no connection within 10 s");
}

/** Reads a non-blocking socket to its end (10 s at most), answers "read:" and what it read, and closes it. */
async function answerWhatWasRead(fd: number): Promise<void> {
  const got: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  for (const end = Date.now() + 10_000; Date.now() < end; ) {
    const n = Number(sys.read(fd, ptr(buf), buf.length));
    if (n === 0) break;
    if (n > 0) got.push(Buffer.from(buf.subarray(0, n)));
    else await Bun.sleep(5);
  }
  const answer = Buffer.from(`read:${Buffer.concat(got).toString()}`);
  sys.write(fd, ptr(answer), answer.length);
  sys.close(fd);
}

test("bytes and a half-close that come while the connect to the container is under way wait for it", async () => {
  // A listener whose accept queue is full drops SYNs: the proxy's connects stay under way (SYN_SENT)
  // until the queue has room and the SYN is sent again (after ~1 s).
  const l = listenTcp("127.0.0.1", 0);
  try {
    sys.listen(l.fd, 0); // room for one connection in the queue
    const filler = createConnection({ host: "127.0.0.1", port: l.port });
    filler.on("error", () => {});
    await new Promise<void>((r) => filler.on("connect", () => r()));
    const p = proxy(0, l.port);
    const withBytes = exchange(p.port, Buffer.from("hello"));
    const empty = exchange(p.port, Buffer.alloc(0)); // a FIN alone: shut down before the connect is through, it would abort it
    for (const end = Date.now() + 10_000; connectsUnderWay(l.port) < 2 && Date.now() < end; ) await Bun.sleep(10);
    expect(connectsUnderWay(l.port)).toBe(2);
    await Bun.sleep(200); // both clients' bytes and FINs have reached the proxy by now
    sys.listen(l.fd, 16);
    sys.close(await acceptOne(l.fd)); // the filler
    const served = [acceptOne(l.fd).then(answerWhatWasRead), acceptOne(l.fd).then(answerWhatWasRead)];
    expect((await withBytes).toString()).toBe("read:hello");
    expect((await empty).toString()).toBe("read:");
    await Promise.all(served);
    filler.destroy();
  } finally {
    sys.close(l.fd);
  }
});
