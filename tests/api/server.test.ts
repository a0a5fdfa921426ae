// The Engine API server (src/api/server.ts) with a small Hono app and a
// hijack route: version prefixes, headers, streaming both ways, the upgraded
// and the plain-POST hijack, unix socket hygiene and the TCP refusal.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import net from "node:net";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listen, type HijackRoute, type RunningServer } from "../../src/api/server.ts";
import { multiplexedStream } from "../../src/api/hijack-conn.ts";
import { apiHeaders } from "../../src/api/versioning.ts";
import { NotFoundError } from "../../src/errors.ts";

let dir: string;
let server: RunningServer;
let sock: string;

function testApp(): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(apiHeaders())) c.res.headers.set(k, v);
  });
  app.onError((err, c) => c.json({ message: err.message }, ((err as any).status ?? 500) as 400));
  app.notFound((c) => c.json({ message: "page not found" }, 404));
  app.get("/hello", (c) => c.json({ q: c.req.query("q") ?? null }));
  app.get("/missing", () => {
    throw new NotFoundError("No such image: nope:latest");
  });
  app.get("/boom", () => {
    throw new Error("kaboom");
  });
  app.get("/images/:name{.+}/json", (c) => c.json({ name: c.req.param("name") }));
  // Counts a streamed upload without holding it.
  app.post("/count", async (c) => {
    let n = 0;
    for await (const chunk of c.req.raw.body as any as AsyncIterable<Uint8Array>) n += chunk.length;
    return c.json({ bytes: n });
  });
  // Streams `n` MiB of zeros.
  app.get("/zeros", (c) => {
    const n = Number(c.req.query("mib"));
    let sent = 0;
    const chunk = new Uint8Array(1 << 20);
    return c.body(new ReadableStream({
      pull(ctl) {
        if (sent++ >= n) return ctl.close();
        ctl.enqueue(chunk);
      },
    }));
  });
  return app;
}

/** Echo over a hijacked stream: writes a frame with the body, then echoes stdin until it ends. */
const echoRoute: HijackRoute = {
  method: "POST",
  pattern: /^\/echo\/([^/]+)$/,
  keys: ["id"],
  handler(h) {
    if (h.params.id === "missing") throw new NotFoundError("No such container: missing");
    const s = h.open(multiplexedStream);
    const send = (b: Buffer) => {
      const head = Buffer.alloc(8);
      head[0] = 1;
      head.writeUInt32BE(b.length, 4);
      s.write(Buffer.concat([head, b]));
    };
    send(Buffer.from(`id=${h.params.id} body=${h.body.toString()} upgraded=${h.upgraded}\n`));
    if (h.query.get("close") === "1") return void s.end();
    s.on("data", (b: Buffer) => send(b));
    s.on("end", () => s.end());
  },
};

beforeAll(async () => {
  dir = mkdtempSync("/tmp/berth-test-api-");
  sock = join(dir, "api.sock");
  server = await listen(testApp(), [echoRoute], { address: `unix://${sock}` });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, init: RequestInit = {}) => fetch(`http://localhost${path}`, { unix: sock, ...init } as RequestInit);

/** Sends raw bytes and collects the reply until the server closes or `until` matches. */
function raw(request: string | Buffer, until?: (b: Buffer) => boolean, then?: (s: net.Socket) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(sock);
    let buf = Buffer.alloc(0);
    let thenDone = false;
    s.on("data", (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      if (!thenDone && then && buf.includes("\r\n\r\n")) {
        thenDone = true;
        then(s);
      }
      if (until?.(buf)) {
        s.destroy();
        resolve(buf);
      }
    });
    s.on("end", () => resolve(buf));
    s.on("error", reject);
    s.write(request);
    setTimeout(() => {
      s.destroy();
      resolve(buf);
    }, 5000);
  });
}

describe("routing and versions", () => {
  test("unversioned and /v1.NN paths reach the same route, query kept", async () => {
    expect(await (await get("/hello?q=1")).json()).toEqual({ q: "1" });
    expect(await (await get("/v1.44/hello?q=2")).json()).toEqual({ q: "2" });
    expect(await (await get("/v1.24/hello")).json()).toEqual({ q: null });
  });

  test("too old and too new versions are refused as dockerd does", async () => {
    const old = await get("/v1.12/hello");
    expect(old.status).toBe(400);
    expect(await old.json()).toEqual({
      message: "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version",
    });
    const fresh = await get("/v1.45/hello");
    expect(fresh.status).toBe(400);
    expect(((await fresh.json()) as any).message).toBe("client version 1.45 is too new. Maximum supported API version is 1.44");
    expect(fresh.headers.get("api-version")).toBe("1.44");
  });

  test("unknown routes are 404 page not found; errors carry their status", async () => {
    const r = await get("/v1.44/nothing/here");
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ message: "page not found" });
    const m = await get("/missing");
    expect(m.status).toBe(404);
    expect(await m.json()).toEqual({ message: "No such image: nope:latest" });
    const b = await get("/boom");
    expect(b.status).toBe(500);
    expect(await b.json()).toEqual({ message: "kaboom" });
  });

  test("every reply carries Docker's headers", async () => {
    const r = await get("/hello");
    expect(r.headers.get("api-version")).toBe("1.44");
    expect(r.headers.get("docker-experimental")).toBe("false");
    expect(r.headers.get("ostype")).toBe("linux");
    expect(r.headers.get("server")).toMatch(/^Berth\/\S+ \(linux\)$/);
  });

  test("image names with slashes and colons", async () => {
    expect(await (await get("/v1.44/images/library/busybox:latest/json")).json()).toEqual({ name: "library/busybox:latest" });
    expect(await (await get("/images/registry.local:5000/a/b:1/json")).json()).toEqual({ name: "registry.local:5000/a/b:1" });
  });
});

describe("streaming", () => {
  test("a 64 MiB upload is streamed into the handler", async () => {
    const mib = 64;
    let sent = 0;
    const body = new ReadableStream({
      pull(ctl) {
        if (sent++ >= mib) return ctl.close();
        ctl.enqueue(new Uint8Array(1 << 20));
      },
    });
    const r = await get("/count", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(await r.json()).toEqual({ bytes: mib << 20 });
  });

  test("a 64 MiB download arrives whole", async () => {
    const r = await get("/zeros?mib=64");
    let n = 0;
    for await (const c of r.body as any as AsyncIterable<Uint8Array>) n += c.length;
    expect(n).toBe(64 << 20);
  });
});

describe("hijack", () => {
  test("Upgrade: tcp gets 101 UPGRADED, then a raw stream both ways", async () => {
    const body = '{"Detach":false}';
    const out = await raw(
      `POST /v1.44/echo/abc HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      (b) => b.includes("ping!"),
      (s) => s.write("ping!"),
    );
    const text = out.toString("latin1");
    expect(text.startsWith("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n")).toBe(true);
    expect(text).toContain('id=abc body={"Detach":false} upgraded=true\n');
    expect(text).toContain("ping!");
  });

  test("a plain POST to a hijack route streams the reply as its body", async () => {
    const r = await get("/v1.44/echo/xyz?close=1", { method: "POST" });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe(multiplexedStream);
    const b = Buffer.from(await r.arrayBuffer());
    expect(b[0]).toBe(1);
    expect(b.subarray(8).toString()).toBe("id=xyz body= upgraded=false\n");
  });

  test("a hijack handler's error before the stream is a JSON reply", async () => {
    const out = await raw("POST /echo/missing HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
    expect(out.toString()).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(out.toString()).toContain('{"message":"No such container: missing"}');
    const plain = await get("/echo/missing", { method: "POST" });
    expect(plain.status).toBe(404);
    expect(await plain.json()).toEqual({ message: "No such container: missing" });
  });

  test("an upgrade to an unknown route is 404", async () => {
    const out = await raw("POST /v1.44/nope HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
    expect(out.toString()).toMatch(/^HTTP\/1\.1 404 /);
    expect(out.toString()).toContain("page not found");
  });
});

describe("listening", () => {
  test("the unix socket is mode 0660", () => {
    expect(statSync(sock).mode & 0o777).toBe(0o660);
  });

  test("a live socket is not taken over; a stale one is replaced; a plain file is refused", async () => {
    await expect(listen(testApp(), [], { address: `unix://${sock}` })).rejects.toThrow("another daemon is already serving it");
    expect((await get("/hello")).ok).toBe(true);

    const stalePath = join(dir, "stale.sock");
    // A bound but dead socket file, as a killed daemon leaves behind.
    Bun.spawnSync(["python3", "-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", stalePath]);
    expect(statSync(stalePath).isSocket()).toBe(true);
    const srv = await listen(testApp(), [], { address: `unix://${stalePath}` });
    expect((await fetch("http://localhost/hello", { unix: stalePath } as RequestInit)).ok).toBe(true);
    await srv.close();

    const file = join(dir, "not-a-socket");
    writeFileSync(file, "x");
    await expect(listen(testApp(), [], { address: `unix://${file}` })).rejects.toThrow("not a socket");
  });

  test("plain TCP: loopback works, a public address is refused unless forced", async () => {
    const tcp = await listen(testApp(), [], { address: "tcp://127.0.0.1:0" });
    const port = tcp.address.split(":").pop();
    expect((await fetch(`http://127.0.0.1:${port}/v1.44/hello`)).ok).toBe(true);
    await tcp.close();
    await expect(listen(testApp(), [], { address: "tcp://0.0.0.0:0" })).rejects.toThrow("refusing to listen on tcp://0.0.0.0:0 without TLS");
    const forced = await listen(testApp(), [], { address: "tcp://0.0.0.0:0", allowInsecureTcp: true });
    await forced.close();
  });
});
