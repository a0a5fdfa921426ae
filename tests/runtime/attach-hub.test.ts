// The shim's attach hub: attachments announced before a start connect while
// the program already runs, and still get its output from the first byte.
import { afterAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AttachHub } from "../../src/runtime/shim/attach.ts";

const dir = mkdtempSync(join(tmpdir(), "berth-hub-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A hub behind a real unix socket; resolves the path to connect to. */
async function serve(hub: AttachHub, name: string): Promise<string> {
  const path = join(dir, name);
  const server = net.createServer({ allowHalfOpen: true }, (sock) => hub.accept(sock));
  await new Promise<void>((r) => server.listen(path, r));
  return path;
}

/** Connects as an attachment and collects the frames it receives until the hub ends it. */
function attach(path: string): Promise<[number, string][]> {
  return new Promise((resolve) => {
    const sock = net.connect({ path, allowHalfOpen: true });
    sock.write(JSON.stringify({ stdout: true, stderr: true }) + "\n");
    let buf = Buffer.alloc(0);
    sock.on("data", (b: Buffer) => (buf = Buffer.concat([buf, b])));
    sock.on("end", () => {
      const frames: [number, string][] = [];
      while (buf.length >= 8) {
        const len = buf.readUInt32BE(4);
        frames.push([buf[0]!, buf.subarray(8, 8 + len).toString()]);
        buf = buf.subarray(8 + len);
      }
      sock.destroy();
      resolve(frames);
    });
  });
}

describe("attach hub", () => {
  test("an announced attachment that connects late gets the earlier output first, in order", async () => {
    const hub = new AttachHub(false);
    hub.expect(1);
    hub.startClock(10_000);
    hub.broadcast(1, Buffer.from("one"));
    hub.broadcast(2, Buffer.from("two"));
    expect(hub.pendingBytes).toBe(6);
    const got = attach(await serve(hub, "late.sock"));
    await hub.settled();
    expect(hub.pendingBytes).toBe(0);
    hub.broadcast(1, Buffer.from("three"));
    hub.closeAll();
    expect(await got).toEqual([[1, "one"], [2, "two"], [1, "three"]]);
  });

  test("without the announced attachment the output is let go after the wait", async () => {
    const hub = new AttachHub(false);
    hub.expect(1);
    hub.broadcast(1, Buffer.from("held"));
    // The wait begins with the clock, not with the announcement.
    await Bun.sleep(100);
    expect(hub.pendingBytes).toBe(4);
    hub.startClock(50);
    hub.broadcast(1, Buffer.from("lost"));
    const start = performance.now();
    await hub.settled();
    expect(performance.now() - start).toBeGreaterThanOrEqual(40);
    expect(hub.pendingBytes).toBe(0);
    // A client coming after that sees only what follows.
    const got = attach(await serve(hub, "after.sock"));
    for (const end = Date.now() + 15_000; Date.now() < end && (hub as any).clients.size === 0; ) await Bun.sleep(5);
    hub.broadcast(1, Buffer.from("seen"));
    hub.closeAll();
    expect(await got).toEqual([[1, "seen"]]);
  });

  test("the output waits for the announced attachment while its announcer lives, however long, and no longer once it is gone", async () => {
    const hub = new AttachHub(false);
    hub.expect(1);
    let alive = true;
    hub.startClock(60_000, () => alive);
    hub.broadcast(1, Buffer.from("kept"));
    await Bun.sleep(700); // several looks at the announcer
    expect(hub.pendingBytes).toBe(4);
    alive = false;
    const start = performance.now();
    await hub.settled();
    expect(performance.now() - start).toBeLessThan(5_000);
    expect(hub.pendingBytes).toBe(0);
  });

  test("nothing is kept when nobody was announced", async () => {
    const hub = new AttachHub(false);
    hub.expect(0);
    hub.startClock(10_000);
    hub.broadcast(1, Buffer.from("x"));
    expect(hub.pendingBytes).toBe(0);
    await hub.settled();
  });

  test("a client that comes, or says what it wants, after every stream was ended is ended at once (a group shim lives on)", async () => {
    const hub = new AttachHub(false);
    const path = await serve(hub, "closed.sock");
    // Connected before the end, its hello read only after it: as while a failing start blocks the shim.
    const sock = net.connect({ path, allowHalfOpen: true });
    await new Promise<void>((r) => sock.once("connect", () => r()));
    await hub.closeAll();
    const early = new Promise<void>((r) => sock.once("end", () => r()));
    sock.write(JSON.stringify({ stdout: true }) + "\n");
    await early;
    sock.destroy();
    // Connected after the end.
    expect(await attach(path)).toEqual([]);
  });
});
