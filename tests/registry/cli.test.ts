// `berth registry serve|gc` entry points (run as a child process until SIGTERM).
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { gc } from "../../src/registry/server/index.ts";
import { freePort, sha256 } from "./helpers.ts";
import { berthCmd } from "../fixtures/daemon.ts";

const dir = mkdtempSync("/tmp/berth-test-registry-cli-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function run(sub: "serve" | "gc", args: string[]) {
  return Bun.spawn([...berthCmd, "registry", sub, ...args], { stdout: "pipe", stderr: "pipe" });
}

test("registry serve listens on --addr and stops on SIGTERM; gc reports and deletes", async () => {
  const root = join(dir, "root");
  const port = await freePort();
  const p = run("serve", ["--addr", `127.0.0.1:${port}`, "--root", root]);
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    up = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false);
    if (!up) await Bun.sleep(50);
  }
  expect(up).toBe(true);
  const data = new TextEncoder().encode("unreferenced");
  expect((await fetch(`http://127.0.0.1:${port}/v2/cli/test/blobs/uploads/?digest=${sha256(data)}`, { method: "POST", body: data })).status).toBe(201);
  const session = await fetch(`http://127.0.0.1:${port}/v2/cli/test/blobs/uploads/`, { method: "POST" });
  const uuid = session.headers.get("docker-upload-uuid")!;
  p.kill("SIGTERM");
  expect(await p.exited).toBe(0);
  expect(await new Response(p.stderr).text()).toContain(`registry listening on http://127.0.0.1:${port}`);

  const dry = run("gc", ["--root", root, "--dry-run"]);
  expect(await dry.exited).toBe(0);
  expect(await new Response(dry.stdout).text()).toContain(`blob eligible for deletion: ${sha256(data)}\n1 blobs would be deleted, 0 kept`);
  expect(existsSync(join(root, "blobs/sha256", sha256(data).slice(7)))).toBe(true);
  const real = run("gc", ["--root", root]);
  expect(await real.exited).toBe(0);
  expect(existsSync(join(root, "blobs/sha256", sha256(data).slice(7)))).toBe(false);

  // Upload sessions abandoned for over a week are purged.
  const uploadDir = join(root, "repositories/cli/test/_uploads", uuid);
  expect(existsSync(uploadDir)).toBe(true);
  const old = new Date(Date.now() - 8 * 24 * 3600 * 1000);
  utimesSync(uploadDir, old, old);
  const r = await gc(root);
  expect(r.purgedUploads).toEqual([`cli/test/${uuid}`]);
  expect(existsSync(uploadDir)).toBe(false);

  const bad = run("serve", ["--addr", "nonsense"]);
  expect(await bad.exited).not.toBe(0);
});
