// Malformed and hostile API requests — bad JSON and wrong types, bodies over
// the limit (declared or chunked), header floods, and slow clients that stall
// or trickle their request head (57 in all): each gets a 4xx with a message
// (not a 500, not a stored half-parsed value) or is dropped within a bound,
// and the daemon answers _ping throughout and after.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";
import { maxJsonBodyBytes } from "../../src/api/body/json-body.ts";

interface RawAnswer {
  status: number;
  text: string;
}

/**
 * Writes `head` (and `body`, when given) on a connection of its own in one write, and resolves with the
 * answer's status (0 when the daemon closed without one). Nothing is written after that first write: a
 * write issued once the daemon has answered and closed fails (EPIPE) and can take the unread answer
 * with it, which under load lost a 413 now and then. So a request the daemon is expected to refuse
 * before reading all of it is sent whole only when it fits in the socket's buffer, taken in that one write.
 */
function rawExchange(socket: string, head: string, body?: Uint8Array): Promise<RawAnswer> {
  const conn = net.connect(socket);
  conn.write(body ? Buffer.concat([Buffer.from(head), body]) : head);
  return answerOf(conn);
}

/** What the daemon answered on `conn` by the time it closed. */
function answerOf(conn: net.Socket): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    conn.on("data", (c: Buffer) => parts.push(c));
    conn.on("error", () => {}); // the answer read before a reset is kept; a lost one shows as status 0
    conn.on("close", () => {
      const text = Buffer.concat(parts).toString();
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), text });
    });
  });
}

function rawRequest(socket: string, method: string, path: string, body: Uint8Array | string = ""): Promise<RawAnswer> {
  const data = Buffer.from(body as Uint8Array);
  const head = `${method} ${path} HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nContent-Length: ${data.length}\r\nConnection: close\r\n\r\n`;
  // A body over the limit is refused from its declared length: only the head is sent (see rawExchange).
  // One within it is read whole before any answer, so sending it all cannot race the daemon's close.
  return rawExchange(socket, head, data.length <= maxJsonBodyBytes ? data : undefined);
}

/**
 * A chunked body with no declared length, of exactly `limit` bytes and then one more: the daemon can
 * only refuse it on reading the last byte, which goes in a small final write with the terminating
 * chunk, after everything before it was taken by the kernel; so the request is whole before any answer.
 */
function chunkedOverLimit(socket: string, limit: number): Promise<RawAnswer> {
  const chunk = (b: Buffer) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from("\r\n")]);
  const prefix = Buffer.from(`{"Image":"hello-world","Env":["A=`);
  const fill = Buffer.alloc(limit - prefix.length, 0x61);
  const head = "POST /containers/create HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  const conn = net.connect(socket);
  conn.write(Buffer.concat([Buffer.from(head), chunk(prefix), chunk(fill)]), () => conn.write(Buffer.concat([chunk(Buffer.from("a")), Buffer.from("0\r\n\r\n")])));
  return answerOf(conn);
}

describe.if(requireDaemon())("hostile API requests", () => {
  let d: TestDaemon;
  beforeAll(async () => {
    // The slow clients below are dropped within the 10 s this daemon allows for a request head (60 s by default).
    d = await startDaemon({ env: { BERTH_API_HEADERS_TIMEOUT_MS: "10000" } });
  });
  afterAll(async () => {
    await d?.stop();
  });

  const ping = async () => (await fetch("http://localhost/_ping", { unix: d.socket } as RequestInit)).status;

  test("malformed bodies get 400 or 413 with the field named, and the daemon keeps answering", async () => {
    const create = (body: string | Uint8Array) => rawRequest(d.socket, "POST", "/containers/create", body);
    // One at a time, each body made just before its connection: a connection opened while this process
    // spent seconds building the next body (under load) sat silent past the daemon's 10 s head timeout.
    const cases: [() => Promise<RawAnswer>, number, string][] = [
      [() => create("{bad"), 400, "not valid JSON"],
      [() => create("[1,2]"), 400, "must be a JSON object"],
      [() => create("null"), 400, "must be a JSON object"],
      [() => create("[".repeat(100_000) + "]".repeat(100_000)), 400, "nested deeper than 64 levels"],
      [() => create(`{"Image":"hello-world","Env":"A=B"}`), 400, "Go struct field Config.Env of type []string"],
      [() => create(`{"Image":"hello-world","Cmd":{"a":1}}`), 400, "Config.Cmd"],
      [() => create(`{"Image":"hello-world","Tty":"yes"}`), 400, "Config.Tty of type bool"],
      [() => create(`{"Image":"hello-world","Labels":{"a":1}}`), 400, "Config.Labels of type map[string]string"],
      [() => create(`{"Image":"hello-world","HostConfig":{"Memory":1e308}}`), 400, "HostConfig.Memory of type int64"],
      [() => create(`{"Image":"hello-world","HostConfig":{"Memory":1.5}}`), 400, "HostConfig.Memory"],
      [() => create(`{"Image":"hello-world","HostConfig":{"CapAdd":"ALL"}}`), 400, "HostConfig.CapAdd of type []string"],
      [() => create(`{"Image":"hello-world","HostConfig":{"Binds":[1]}}`), 400, "HostConfig.Binds"],
      [() => create(`{"Image":"hello-world","HostConfig":{"Privileged":1}}`), 400, "HostConfig.Privileged of type bool"],
      [() => create(`{"Image":"hello-world","HostConfig":{"Devices":["x"]}}`), 400, "HostConfig.Devices"],
      [() => create(`{"Image":"hello-world","Env":["X=${"a".repeat(5 << 20)}"]}`), 413, "request body too large"],
      [() => create(JSON.stringify({ Image: "hello-world", Labels: Object.fromEntries(Array.from({ length: 400_000 }, (_, i) => [`l${i}`, "v"])) })), 413, "request body too large"],
      [() => rawRequest(d.socket, "POST", "/containers/nosuch/update", `{"Memory":"1g"}`), 400, "UpdateConfig.Memory of type int64"],
      [() => rawRequest(d.socket, "POST", "/containers/nosuch/exec", "{bad"), 400, "not valid JSON"],
      [() => chunkedOverLimit(d.socket, maxJsonBodyBytes), 413, "request body too large"],
    ];
    for (const [request, status, message] of cases) {
      const r = await request();
      expect({ message, status: r.status, has: r.text.includes(message) }).toEqual({ message, status, has: true });
      expect(await ping()).toBe(200);
    }
    // Nothing half-made: no container came of any of them.
    expect((await d.cli(["ps", "-aq"])).stdout.trim()).toBe("");
    // A well-formed create still works.
    const ok = await rawRequest(d.socket, "POST", "/containers/create", `{"Image":"hello-world","Env":["A=B"],"HostConfig":{"Memory":67108864}}`);
    expect(ok.status).toBe(201);
  });

  test("header floods get 431 and leave the daemon answering", async () => {
    // Each head is far over the parser's header limit yet small enough to be taken in one write (see rawExchange).
    const manyHeaders = Array.from({ length: 4_000 }, (_, i) => `X-Flood-${i}: v\r\n`).join("");
    const floods = [
      `GET /_ping HTTP/1.1\r\nHost: berth\r\n${manyHeaders}\r\n`,
      `GET /_ping HTTP/1.1\r\nHost: berth\r\nX-Big: ${"a".repeat(48 << 10)}\r\n\r\n`,
      `GET /_ping?${"a".repeat(48 << 10)} HTTP/1.1\r\nHost: berth\r\n\r\n`,
    ];
    for (const head of floods) {
      expect((await rawExchange(d.socket, head)).status).toBe(431);
      expect(await ping()).toBe(200);
    }
  });

  test("connections that never finish their request head, or trickle it, are dropped, and others are served meanwhile", async () => {
    const watch = (conn: net.Socket) =>
      new Promise<number>((resolve) => {
        const start = Date.now();
        const giveUp = setTimeout(() => (conn.destroy(), resolve(-1)), 25_000);
        conn.on("close", () => (clearTimeout(giveUp), resolve(Date.now() - start)));
      });
    const stalled = Array.from({ length: 30 }, () => {
      const conn = net.connect(d.socket);
      conn.on("error", () => {});
      conn.write("GET /_ping HTTP/1.1\r\nHost: berth\r\n"); // and never the blank line
      return watch(conn);
    });
    // Slowloris proper: a byte of a header every 250 ms, so the connection is never idle; the bound is on the whole head.
    const trickling = Array.from({ length: 5 }, () => {
      const conn = net.connect(d.socket);
      conn.on("error", () => {});
      conn.write("GET /_ping HTTP/1.1\r\nHost: berth\r\nX-Slow: ");
      const drip = setInterval(() => conn.destroyed || conn.write("a"), 250);
      return watch(conn).finally(() => clearInterval(drip));
    });
    for (let i = 0; i < 5; i++) {
      expect(await ping()).toBe(200);
      await Bun.sleep(200);
    }
    const closedAfter = await Promise.all([...stalled, ...trickling]);
    expect(closedAfter.filter((ms) => !(ms > 0 && ms < 20_000))).toEqual([]);
    expect(await ping()).toBe(200);
  }, 40_000);
});
