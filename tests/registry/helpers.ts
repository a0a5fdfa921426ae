// Registry test fixtures: Debian's docker-registry (CNCF distribution 2.8)
// and berth's own server on free loopback ports, small OCI images built with
// umoci, and skopeo to move them around.
import { $ } from "bun";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createRegistryServer, type RegistryServer } from "../../src/registry/server/index.ts";

export const DOCKER_REGISTRY = "/usr/bin/docker-registry";

export function toolsMissing(): string | undefined {
  for (const t of ["umoci", "skopeo"]) if (!Bun.which(t)) return `${t} is not installed`;
  if (!existsSync(DOCKER_REGISTRY)) return `docker-registry is not installed (${DOCKER_REGISTRY})`;
  return undefined;
}

/** True when the tools are there; under CI=true a missing tool fails the test. */
export function requireTools(): boolean {
  const why = toolsMissing();
  if (!why) return true;
  if (process.env.CI === "true") throw new Error(why);
  console.warn(`skipping: ${why}`);
  return false;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  url: string;
  stop(): Promise<void>;
}

async function waitUp(url: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(`${url}/v2/`);
      await r.body?.cancel();
      return;
    } catch (e) {
      if (Date.now() > until) throw e;
      await Bun.sleep(50);
    }
  }
}

export async function startDockerRegistry(dir: string, opts: { htpasswd?: string } = {}): Promise<RunningRegistry> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const auth = opts.htpasswd ? `auth:\n  htpasswd:\n    realm: test-realm\n    path: ${opts.htpasswd}\n` : "";
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const proc = Bun.spawn([DOCKER_REGISTRY, "serve", join(dir, "config.yml")], { stdout: "ignore", stderr: Bun.file(join(dir, "registry.log")) });
  const url = `http://127.0.0.1:${port}`;
  await waitUp(url);
  return {
    host: `127.0.0.1:${port}`,
    url,
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

export async function startBerthRegistry(root: string, opts: { htpasswd?: string; tls?: { cert: string; key: string } } = {}): Promise<RegistryServer & { stop(): Promise<void> }> {
  const s = await createRegistryServer({ root, addr: "127.0.0.1:0", ...opts, onError: (e) => console.error("registry error:", e) });
  return { ...s, stop: () => s.close() };
}

/**
 * A two-layer OCI image in an OCI layout (umoci writes gzip layers and
 * manifests without mediaType). Returns "oci:<dir>:<tag>".
 */
export async function buildImage(dir: string, opts: { tag?: string; arch?: string; marker?: string } = {}): Promise<string> {
  const tag = opts.tag ?? "latest";
  const layout = join(dir, "oci");
  const rootfs = join(dir, `rootfs-${tag}`);
  mkdirSync(join(rootfs, "etc"), { recursive: true });
  mkdirSync(join(rootfs, "bin"), { recursive: true });
  writeFileSync(join(rootfs, "etc/hello"), `hello ${opts.marker ?? tag}\n`);
  // Some incompressible bytes so the layer is not trivially small (resume tests cut it in half).
  writeFileSync(join(rootfs, "bin/data"), crypto.getRandomValues(new Uint8Array(256 << 10)));
  const upper = join(dir, `upper-${tag}`);
  mkdirSync(join(upper, "etc"), { recursive: true });
  writeFileSync(join(upper, "etc/second"), `second layer ${opts.marker ?? tag}\n`);
  if (!existsSync(join(layout, "index.json"))) await $`umoci init --layout ${layout}`.quiet();
  const img = `${layout}:${tag}`;
  await $`umoci new --image ${img}`.quiet();
  await $`umoci insert --image ${img} ${rootfs} /`.quiet();
  await $`umoci insert --image ${img} ${upper} /`.quiet();
  await $`umoci config --image ${img} --config.cmd /bin/sh --architecture ${opts.arch ?? hostArch()} --os linux`.quiet();
  return `oci:${img}`;
}

export function hostArch(): string {
  return process.arch === "arm64" ? "arm64" : "amd64";
}

export async function skopeo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(["skopeo", ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code: await p.exited, stdout, stderr };
}

/** skopeo, throwing with its stderr on failure. */
export async function skopeoOk(args: string[]): Promise<string> {
  const r = await skopeo(args);
  if (r.code !== 0) throw new Error(`skopeo ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

export function sha256(b: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;
}
