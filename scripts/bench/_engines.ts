// The peer engines of the benchmarks, where installed: dockerd and podman on
// storage of their own, started as DESIGN.md shows, each driven through its
// own CLI (berth's side is the test daemon of tests/fixtures).
import { $ } from "bun";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { subreaper } from "./_usage.ts";

/** An engine driven through its own CLI. */
export interface Engine {
  name: string;
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Extra `run` flags the engine needs here. */
  runFlags: string[];
  /** The engine's processes, whose trees an operation's faults and CPU are read from (none: daemonless). */
  roots?: number[];
  /** The engine's API address, where it has one (DOCKER_HOST for other clients). */
  host?: string;
  stop(): Promise<void>;
}

export async function must(e: Engine, args: string[]): Promise<string> {
  const r = await e.cli(args);
  if (r.code !== 0) throw new Error(`${e.name} ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

async function waitForSocket(sock: string, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await fetch("http://localhost/_ping", { unix: sock } as RequestInit).then((r) => r.ok, () => false)) return;
    await Bun.sleep(100);
  }
  throw new Error(`${what} did not answer on ${sock}`);
}

function spawnCli(cmd: string[], env?: Record<string, string>) {
  return async (args: string[]) => {
    const p = Bun.spawn([...cmd, ...args], { stdout: "pipe", stderr: "pipe", ...(env ? { env: { ...process.env, ...env } } : {}) });
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, stdout, stderr };
  };
}

/**
 * dockerd on storage of its own with busybox imported from `tar`. Without a bridge by default;
 * `bridgeIp` (its --bip) gives it its docker0, which only a private `netns` (a /run/netns path,
 * entered with nsenter) may hold. Its firewall stays off either way (--iptables=false), so
 * published ports go through docker-proxy.
 */
export async function startDockerd(tmp: string, tar: string, opts: { netns?: string; bridgeIp?: string } = {}): Promise<Engine | string> {
  if (!Bun.which("dockerd")) return "not installed";
  const dir = join(tmp, "dockerd");
  mkdirSync(dir);
  const sock = join(dir, "docker.sock");
  const netns = opts.netns ? ["nsenter", `--net=${opts.netns}`, "--"] : [];
  // Under a subreaper: containerd's shims double-fork, and their cost must stay in the measured tree.
  // --ip-forward=false: dockerd would turn on the host's forwarding, which every network namespace made after inherits (berth's network tests among them).
  const d = Bun.spawn([...netns, ...subreaper(["dockerd"]).cmd, "--data-root", join(dir, "root"), "--exec-root", join(dir, "exec"), "-H", `unix://${sock}`,
    "--pidfile", join(dir, "docker.pid"), "--iptables=false", "--ip-forward=false", ...(opts.bridgeIp ? ["--bip", opts.bridgeIp] : ["--bridge=none"])],
    { stdout: "ignore", stderr: Bun.file(join(tmp, "dockerd.log")) });
  const docker = Bun.which("docker", { PATH: "/usr/local/bin:/usr/bin" }) ?? "docker";
  // The classic builder (`docker build`), which berth's API speaks too, rather than BuildKit.
  const cli = spawnCli([docker, "-H", `unix://${sock}`], { DOCKER_BUILDKIT: "0" });
  const stop = async () => {
    d.kill("SIGTERM");
    await d.exited;
    await $`umount -R ${dir}`.nothrow().quiet();
  };
  try {
    await waitForSocket(sock, "dockerd");
    const imp = await cli(["import", tar, "busybox"]);
    if (imp.code !== 0) throw new Error(imp.stderr);
  } catch (e) {
    await stop();
    return `failed to start: ${(e as Error).message.split("\n")[0]}`;
  }
  return { name: "dockerd", cli, runFlags: [], roots: [d.pid], host: `unix://${sock}`, stop };
}

export async function startPodman(tmp: string, tar: string): Promise<Engine | string> {
  if (!Bun.which("podman")) return "not installed";
  const dir = join(tmp, "podman");
  // podman refuses a runroot longer than 50 characters; it holds run-time state, not storage.
  const runroot = mkdtempSync("/tmp/podman-run-");
  const base = ["podman", "--root", join(dir, "root"), "--runroot", runroot, "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", "runc"];
  const cli = spawnCli(base);
  const imp = await cli(["import", tar, "busybox"]);
  const stop = async () => {
    await $`${base} system reset -f`.nothrow().quiet();
    await $`umount -R ${dir} ${runroot}`.nothrow().quiet();
    rmSync(runroot, { recursive: true, force: true });
  };
  if (imp.code !== 0) {
    await stop();
    return `failed to start: ${imp.stderr.split("\n")[0]}`;
  }
  // Its default limits exceed this machine's hard limits (DESIGN.md).
  return { name: "podman", cli, runFlags: ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"], stop };
}
