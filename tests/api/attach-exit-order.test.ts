// An attached client has a run's whole output before `wait` reports its exit,
// as with dockerd (which reports an exit once the attached streams are copied,
// 2 s at most): dockerode's run attaches, starts, then waits, and reads the
// output it collected once the wait answers. The exit the shim records could
// reach `wait` while the output was still on its way through the daemon.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { busyboxRootfsTar, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

setDefaultTimeout(120_000);
const ok = requireDaemon();
let d: TestDaemon;
let tmp: string;
let busyboxTar: string;

beforeAll(async () => {
  if (!ok) return;
  tmp = mkdtempSync("/tmp/berth-test-attach-exit-");
  d = await startDaemon();
  busyboxTar = busyboxRootfsTar(tmp);
  expect((await d.cli(["import", busyboxTar, "busybox:latest"])).code).toBe(0);
});

afterAll(async () => {
  if (!ok) return;
  await d.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const api = (path: string, init: RequestInit = {}) => fetch(`http://localhost${path}`, { unix: d.socket, ...init } as RequestInit);

/** A plain-POST attach (dockerode's form) on a socket of its own, returned paused once the reply head is in. */
function attachPaused(id: string): Promise<{ sock: Socket; head: string; body: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const sock = connect(d.socket);
    let head = Buffer.alloc(0);
    const onData = (b: Buffer) => {
      head = Buffer.concat([head, b]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      sock.off("data", onData);
      sock.pause();
      resolve({ sock, head: head.subarray(0, end).toString(), body: [head.subarray(end + 4)] });
    };
    sock.on("data", onData);
    sock.once("error", reject);
    sock.write(`POST /v1.44/containers/${id}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
}

/** A chunked HTTP body's bytes. */
function dechunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; ;) {
    const eol = b.indexOf("\r\n", i);
    const len = parseInt(b.subarray(i, eol).toString(), 16);
    if (!len) return Buffer.concat(parts);
    parts.push(b.subarray(eol + 2, eol + 2 + len));
    i = eol + 2 + len + 2;
  }
}

/** The bytes of each stream in a run of Docker stream frames. */
function demux(b: Buffer): Record<number, number> {
  const sizes: Record<number, number> = {};
  for (let i = 0; i + 8 <= b.length; i += 8 + b.readUInt32BE(i + 4)) sizes[b[i]!] = (sizes[b[i]!] ?? 0) + b.readUInt32BE(i + 4);
  return sizes;
}

describe.if(ok)("an exit is reported after the attached clients have the output", () => {
  test("wait, called after the shim recorded the exit, answers only once a slow client took the output", async () => {
    // More output than the sockets between daemon and client hold: the client's pace decides when it has it all.
    const size = 4 << 20;
    const created = await api("/containers/create", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ Image: "busybox", Cmd: ["sh", "-c", `dd if=/dev/zero bs=65536 count=${size >> 16} 2>/dev/null; exit 3`] }),
    });
    const { Id: id } = (await created.json()) as { Id: string };
    const { sock, head, body } = await attachPaused(id);
    expect(head).toStartWith("HTTP/1.1 200");
    expect(head.toLowerCase()).toContain("transfer-encoding: chunked");
    expect((await api(`/containers/${id}/start`, { method: "POST" })).status).toBe(204);
    // The exit is recorded (reads show it) while the client has not read its output yet.
    let state: any;
    for (let i = 0; i < 200; i++) {
      state = ((await (await api(`/containers/${id}/json`)).json()) as any).State;
      if (!state.Running) break;
      await Bun.sleep(25);
    }
    expect(state.Status).toBe("exited");

    let answered = false;
    // Its reply head comes at once (as dockerd's); the body is the exit.
    const waited = api(`/containers/${id}/wait`, { method: "POST" }).then(async (r) => {
      const exit = (await r.json()) as { StatusCode: number };
      answered = true;
      return exit;
    });
    await Bun.sleep(300);
    expect(answered).toBe(false);

    const ended = new Promise<void>((resolve) => sock.once("end", () => resolve()));
    sock.on("data", (b: Buffer) => body.push(b));
    sock.resume();
    expect((await waited).StatusCode).toBe(3);
    await ended;
    sock.destroy();
    expect(demux(dechunk(Buffer.concat(body)))).toEqual({ 1: size });
    expect((await api(`/containers/${id}`, { method: "DELETE" })).status).toBe(204);
  });

});
