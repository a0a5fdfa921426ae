// Malformed and hostile API requests: each gets a 4xx with a message (not a
// 500, not a stored half-parsed value), and the daemon answers _ping
// throughout, including while slow clients hold connections open.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

/** One raw HTTP/1.1 request on its own connection; the status line's code (0 when the daemon closed without one). */
function rawRequest(socket: string, method: string, path: string, body: Uint8Array | string = ""): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const data = Buffer.from(body as Uint8Array);
    const conn = net.connect(socket);
    const parts: Buffer[] = [];
    conn.on("data", (c: Buffer) => parts.push(c));
    conn.on("error", () => {}); // a daemon that answers early and closes resets the rest of our send
    conn.on("close", () => {
      const text = Buffer.concat(parts).toString();
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), text });
    });
    conn.write(`${method} ${path} HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nContent-Length: ${data.length}\r\nConnection: close\r\n\r\n`);
    // A large body may be refused from its declared length alone: let that answer arrive before sending
    // it, or the daemon's close resets the connection under the send and the answer is lost.
    // (No half-close after the body: real clients keep their end open for the answer.)
    if (data.length < 1 << 20) conn.write(data);
    else {
      const send = setTimeout(() => conn.write(data), 5000);
      conn.once("data", () => clearTimeout(send));
    }
  });
}

describe.if(requireDaemon())("hostile API requests", () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startDaemon();
  });
  afterAll(async () => {
    await d?.stop();
  });

  const ping = async () => (await fetch("http://localhost/_ping", { unix: d.socket } as RequestInit)).status;

  test("malformed bodies get 400 or 413 with the field named, and the daemon keeps answering", async () => {
    const create = (body: string | Uint8Array) => rawRequest(d.socket, "POST", "/containers/create", body);
    const cases: [Promise<{ status: number; text: string }>, number, string][] = [
      [create("{bad"), 400, "not valid JSON"],
      [create("[1,2]"), 400, "must be a JSON object"],
      [create("null"), 400, "must be a JSON object"],
      [create("[".repeat(100_000) + "]".repeat(100_000)), 400, "nested deeper than 64 levels"],
      [create(`{"Image":"hello-world","Env":"A=B"}`), 400, "Go struct field Config.Env of type []string"],
      [create(`{"Image":"hello-world","Cmd":{"a":1}}`), 400, "Config.Cmd"],
      [create(`{"Image":"hello-world","Tty":"yes"}`), 400, "Config.Tty of type bool"],
      [create(`{"Image":"hello-world","Labels":{"a":1}}`), 400, "Config.Labels of type map[string]string"],
      [create(`{"Image":"hello-world","HostConfig":{"Memory":1e308}}`), 400, "HostConfig.Memory of type int64"],
      [create(`{"Image":"hello-world","HostConfig":{"Memory":1.5}}`), 400, "HostConfig.Memory"],
      [create(`{"Image":"hello-world","HostConfig":{"CapAdd":"ALL"}}`), 400, "HostConfig.CapAdd of type []string"],
      [create(`{"Image":"hello-world","HostConfig":{"Binds":[1]}}`), 400, "HostConfig.Binds"],
      [create(`{"Image":"hello-world","HostConfig":{"Privileged":1}}`), 400, "HostConfig.Privileged of type bool"],
      [create(`{"Image":"hello-world","HostConfig":{"Devices":["x"]}}`), 400, "HostConfig.Devices"],
      [create(`{"Image":"hello-world","Env":["X=${"a".repeat(5 << 20)}"]}`), 413, "request body too large"],
      [create(JSON.stringify({ Image: "hello-world", Labels: Object.fromEntries(Array.from({ length: 400_000 }, (_, i) => [`l${i}`, "v"])) })), 413, "request body too large"],
      [rawRequest(d.socket, "POST", "/containers/nosuch/update", `{"Memory":"1g"}`), 400, "UpdateConfig.Memory of type int64"],
      [rawRequest(d.socket, "POST", "/containers/nosuch/exec", "{bad"), 400, "not valid JSON"],
    ];
    for (const [pending, status, message] of cases) {
      const r = await pending;
      expect({ message, status: r.status, has: r.text.includes(message) }).toEqual({ message, status, has: true });
      expect(await ping()).toBe(200);
    }
    // Nothing half-made: no container came of any of them.
    expect((await d.cli(["ps", "-aq"])).stdout.trim()).toBe("");
    // A well-formed create still works.
    const ok = await rawRequest(d.socket, "POST", "/containers/create", `{"Image":"hello-world","Env":["A=B"],"HostConfig":{"Memory":67108864}}`);
    expect(ok.status).toBe(201);
  });

  test("connections that never finish their request head are dropped, and others are served meanwhile", async () => {
    const slow = Array.from({ length: 30 }, () => {
      const conn = net.connect(d.socket);
      conn.on("error", () => {});
      conn.write("GET /_ping HTTP/1.1\r\nHost: berth\r\n"); // and never the blank line
      return new Promise<number>((resolve) => {
        const start = Date.now();
        conn.on("close", () => resolve(Date.now() - start));
        setTimeout(() => (conn.destroy(), resolve(-1)), 25_000);
      });
    });
    for (let i = 0; i < 5; i++) {
      expect(await ping()).toBe(200);
      await Bun.sleep(200);
    }
    const closedAfter = await Promise.all(slow);
    expect(closedAfter.every((ms) => ms > 0 && ms < 20_000)).toBe(true);
    expect(await ping()).toBe(200);
  }, 40_000);
});
