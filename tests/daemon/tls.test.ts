// The daemon on TCP: TLS with client verification works with berth's and
// docker's clients; plain TCP beyond loopback is refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, requireDaemon } from "../fixtures/daemon.ts";

function requireOpenssl(): boolean {
  if (Bun.which("openssl")) return true;
  if (process.env.CI === "true") throw new Error("openssl is not installed");
  console.warn("skipping: openssl is not installed");
  return false;
}
const ok = requireDaemon() && requireOpenssl();
let dir: string;
let daemon: ReturnType<typeof Bun.spawn> | undefined;
let port = 0;

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

beforeAll(async () => {
  if (!ok) return;
  dir = mkdtempSync("/tmp/berth-test-tls-");
  const ext = join(dir, "ext.cnf");
  await Bun.write(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  await $`openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=berth-test-ca -keyout ${dir}/ca-key.pem -out ${dir}/ca.pem`.quiet();
  for (const who of ["server", "client"]) {
    await $`openssl req -newkey rsa:2048 -nodes -subj /CN=${who} -keyout ${dir}/${who}-key.pem -out ${dir}/${who}.csr`.quiet();
    await $`openssl x509 -req -in ${dir}/${who}.csr -CA ${dir}/ca.pem -CAkey ${dir}/ca-key.pem -CAcreateserial -days 1 -extfile ${ext} -out ${dir}/${who}.pem`.quiet();
  }
  port = await freePort();
  // --bridge none: no default bridge made in the host's namespace, as for every test daemon.
  daemon = Bun.spawn([...berthCmd, "daemon", "--bridge", "none", "--data-root", `${dir}/data`, "--exec-root", `${dir}/exec`,
    "-H", `tcp://127.0.0.1:${port}`, "--tlsverify", "--tlscacert", `${dir}/ca.pem`, "--tlscert", `${dir}/server.pem`, "--tlskey", `${dir}/server-key.pem`],
    { stdout: "ignore", stderr: "ignore" });
  // Up to 30 s: a loaded host starts a daemon slowly.
  const tls = { ca: await Bun.file(`${dir}/ca.pem`).text(), cert: await Bun.file(`${dir}/client.pem`).text(), key: await Bun.file(`${dir}/client-key.pem`).text() };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !(await fetch(`https://127.0.0.1:${port}/_ping`, { tls } as RequestInit).then((r) => r.ok).catch(() => false))) await Bun.sleep(20);
});
afterAll(async () => {
  if (!ok) return;
  daemon?.kill();
  await daemon?.exited;
  rmSync(dir, { recursive: true, force: true });
});

describe.if(ok)("TCP with TLS", () => {
  const tlsArgs = () => ["-H", `tcp://127.0.0.1:${port}`, "--tlsverify", "--tlscacert", `${dir}/ca.pem`, "--tlscert", `${dir}/client.pem`, "--tlskey", `${dir}/client-key.pem`];

  test("berth's client with a certificate", async () => {
    const r = Bun.spawnSync([...berthCmd, ...tlsArgs(), "images", "--format", "{{.Repository}}"]);
    expect(r.stdout.toString().trim()).toBe("hello-world");
  });

  test("the docker CLI with a certificate", async () => {
    if (!existsSync("/usr/local/bin/docker")) {
      if (process.env.CI === "true") throw new Error("the docker CLI is not installed");
      return;
    }
    const r = Bun.spawnSync(["/usr/local/bin/docker", ...tlsArgs(), "version", "--format", "{{.Server.APIVersion}}"]);
    expect(r.stdout.toString().trim()).toBe("1.44");
  });

  test("a client without a certificate is turned away", async () => {
    const r = await fetch(`https://127.0.0.1:${port}/_ping`, { tls: { ca: await Bun.file(`${dir}/ca.pem`).text() } } as RequestInit).then(() => "answered", () => "refused");
    expect(r).toBe("refused");
  });

  test("--tls=false accepts it, with a warning in the log and in info", async () => {
    const insecurePort = await freePort();
    const d2 = Bun.spawn([...berthCmd, "daemon", "--bridge", "none", "--data-root", `${dir}/data3`, "--exec-root", `${dir}/exec3`, "--tls=false", "-H", `tcp://0.0.0.0:${insecurePort}`], { stdout: "ignore", stderr: "pipe" });
    try {
      const deadline = Date.now() + 30_000;
      let info: { Warnings?: string[] } | undefined;
      while (Date.now() < deadline && !info) info = await fetch(`http://127.0.0.1:${insecurePort}/info`).then((r) => r.json() as Promise<{ Warnings?: string[] }>).catch(() => undefined) ?? (await Bun.sleep(50), undefined);
      expect(info?.Warnings?.join("\n")).toContain(`API is accessible on tcp://0.0.0.0:${insecurePort} without encryption (--tls=false)`);
    } finally {
      d2.kill();
      await d2.exited;
    }
    expect(await new Response(d2.stderr).text()).toMatch(/ WARN API is accessible on tcp:\/\/0\.0\.0\.0:\d+ without encryption/);
  });

  test("plain TCP on a non-loopback address is refused", async () => {
    const r = Bun.spawnSync([...berthCmd, "daemon", "--bridge", "none", "--data-root", `${dir}/data2`, "--exec-root", `${dir}/exec2`, "-H", "tcp://0.0.0.0:0"], { timeout: 20_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.toString()).toContain("refusing to listen on tcp://0.0.0.0:0 without TLS");
  });
});
