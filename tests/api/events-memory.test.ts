// GET /events to a client that stops reading: a replay of the stored events is
// read from the log as it is written, and live events a client leaves unread
// pile up only so far before its stream is ended (as dockerd drops a slow
// subscriber), so neither grows the daemon's memory with what it has not taken.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import { requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

let d: TestDaemon | undefined;
beforeAll(async () => {
  if (requireDaemon()) d = await startDaemon();
});
afterAll(async () => {
  await d?.stop();
}, 60_000);

const rssMb = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)/m)![1]) / 1024;
const label = "x".repeat(512 << 10);

/** The daemon's RSS once it stops falling: read every 500 ms until two reads 3 s apart agree within 1 MB. */
async function settledRss(pid: number): Promise<number> {
  const reads: number[] = [];
  for (const end = Date.now() + 20_000; Date.now() < end; await Bun.sleep(500)) {
    reads.push(rssMb(pid));
    if (reads.length > 6 && Math.abs(reads.at(-1)! - reads.at(-7)!) < 1 && reads.at(-1)! < Math.max(...reads)) break;
  }
  return reads.at(-1)!;
}

/** Containers made from the built-in hello-world image, each with a 512 KiB label its events carry. */
async function create(n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await fetch("http://localhost/containers/create", {
      unix: d!.socket, method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ Image: "hello-world", Labels: { big: label, tag } }),
    } as RequestInit);
    expect(r.status).toBe(201);
  }
}

/** A raw GET whose reply is not read until `resume` is called. */
function stalledGet(path: string) {
  const sock: Socket = connect(d!.socket);
  const chunks: Buffer[] = [];
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  sock.on("connect", () => {
    sock.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    sock.pause();
  });
  sock.on("data", (c: Buffer) => chunks.push(c));
  sock.on("end", () => ended());
  sock.on("close", () => ended());
  return {
    resume: () => sock.resume(),
    done,
    close: () => sock.destroy(),
    text: () => Buffer.concat(chunks).toString("latin1"),
  };
}

test("a replay to a client that does not read holds a page of the log, and the client still gets every event", async () => {
  if (!d) return;
  await create(200, "replay");
  const until = Math.ceil(Date.now() / 1000) + 1;
  // The creates left garbage: wait for the daemon's collection once it goes quiet (a 4 s sample), so
  // the baseline is its settled memory, not a heap whose free pages a replay could reuse unseen.
  const before = await settledRss(d.pid);
  const get = stalledGet(`/events?since=0&until=${until}&filters=${encodeURIComponent(JSON.stringify({ event: ["create"] }))}`);
  await Bun.sleep(3000);
  const grown = rssMb(d.pid) - before;
  // Read all at once, the log of 200 such events grew it by 162 MB; in pages of 64 rows, by 30 MB; in pages of ~1 MiB, by none.
  expect(grown).toBeLessThan(12);
  get.resume();
  await get.done;
  get.close();
  const creates = get.text().split("\n").filter((l) => l.includes('"Action":"create"') && l.includes('"tag":"replay"'));
  expect(creates).toHaveLength(200);
}, 120_000);

test("a live client that leaves events unread is cut off before they pile up in the daemon", async () => {
  if (!d) return;
  const get = stalledGet("/events");
  try {
    await Bun.sleep(200);
    await create(60, "live"); // 30 MiB of events, beyond the 16 MiB a client may leave unread
    get.resume();
    // Its stream ends: the daemon dropped it rather than keep the rest for it.
    await Promise.race([get.done, Bun.sleep(10_000).then(() => { throw new Error("the stalled client's stream did not end"); })]);
    const got = get.text().split("\n").filter((l) => l.includes('"tag":"live"')).length;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(60);
  } finally {
    get.close();
  }
}, 120_000);
