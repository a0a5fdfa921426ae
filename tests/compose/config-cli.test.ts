// `berth compose config` as a user runs it: the resolved model as YAML that
// reads back as the same project, the name lists, --quiet, and the exit code
// and message of a file compose refuses. No daemon is needed.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd } from "../fixtures/daemon.ts";

const dir = mkdtempSync("/tmp/berth-compose-config-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function compose(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn([...berthCmd, "compose", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code };
}

writeFileSync(join(dir, "compose.yaml"), [
  "services:",
  "  web:",
  "    image: busybox:${TAG:-latest}",
  "    ports: ['8080:80']",
  "    volumes: ['data:/data']",
  "    depends_on: [db]",
  "  db:",
  "    image: busybox",
  "  debug:",
  "    image: busybox",
  "    profiles: [dbg]",
  "volumes: {data: {}, logs: {}}",
].join("\n"));

test("config prints the resolved model as YAML", async () => {
  const r = await compose(["-p", "demo", "config"], { TAG: "1.36" });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const model = Bun.YAML.parse(r.stdout) as any;
  expect(model.name).toBe("demo");
  expect(Object.keys(model.services)).toEqual(["db", "web"]);
  expect(model.services.web.image).toBe("busybox:1.36");
  expect(model.services.web.ports).toEqual([{ mode: "ingress", target: 80, published: "8080", protocol: "tcp" }]);
  expect(model.services.web.depends_on).toEqual({ db: { condition: "service_started", required: true } });
  expect(model.networks.default.name).toBe("demo_default");
  expect(model.volumes.data.name).toBe("demo_data");
});

test("--services, --volumes, --profiles, --quiet, --format json", async () => {
  expect((await compose(["config", "--services"])).stdout).toBe("db\nweb\n");
  expect((await compose(["--profile", "dbg", "config", "--services"])).stdout).toBe("db\ndebug\nweb\n");
  expect((await compose(["config", "--volumes"])).stdout).toBe("data\nlogs\n");
  expect((await compose(["config", "--profiles"])).stdout).toBe("dbg\n");
  const q = await compose(["config", "--quiet"]);
  expect(q).toEqual({ stdout: "", stderr: "", code: 0 });
  expect(JSON.parse((await compose(["config", "--format", "json"])).stdout).services.db.image).toBe("busybox");
});

test("a refused file: compose's message on stderr, exit code 1", async () => {
  writeFileSync(join(dir, "bad.yaml"), "services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [a]}\n");
  const r = await compose(["-f", "bad.yaml", "config"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe("dependency cycle detected: a -> b -> a\n");
  const u = await compose(["nosuch"]);
  expect(u.code).toBe(1);
  expect(u.stderr).toContain('unknown docker command: "compose nosuch"');
});
