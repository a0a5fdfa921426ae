// Container start: `run --rm busybox true` end to end (CLI → daemon → shim →
// exit), `exec c true`, 20 concurrent runs and `ps` with 100 containers, for
// berth and, where installed, dockerd and podman (started here on their own
// storage, as DESIGN.md shows), against `runc run` of the same rootfs (the
// floor: a runtime with no engine around it). Then berth's memory: the
// daemon's RSS (and how much of it is private) and the shims' PSS.
import { $ } from "bun";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, startDaemon } from "../../tests/fixtures/daemon.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const RUNS = 15;

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** An engine driven through its own CLI. */
interface Engine {
  name: string;
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Extra `run` flags the engine needs here. */
  runFlags: string[];
  stop(): Promise<void>;
}

interface Figures {
  runMs: number;
  execMs: number;
  perSec: number;
  psMs: number;
}

async function measure(e: Engine): Promise<Figures> {
  const must = async (args: string[]) => {
    const r = await e.cli(args);
    if (r.code !== 0) throw new Error(`${e.name} ${args.join(" ")}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  const run = ["run", "--rm", "--network", "none", ...e.runFlags, "busybox", "true"];
  await must(run); // warm caches
  const runMs = await timeIt(RUNS, () => must(run));
  const id = await must(["run", "-d", "--network", "none", ...e.runFlags, "busybox", "sleep", "300"]);
  const execMs = await timeIt(RUNS, () => must(["exec", id, "true"]));
  await must(["rm", "-f", id]);
  const n = 20;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => must(run)));
  const perSec = n / ((performance.now() - t0) / 1000);
  const ids: string[] = [];
  for (let i = 0; i < 100; i++) ids.push(await must(["create", "--network", "none", "busybox", "true"]));
  const psMs = await timeIt(RUNS, () => must(["ps", "-a"]));
  await must(["rm", ...ids]);
  return { runMs, execMs, perSec, psMs };
}

async function waitForSocket(sock: string, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await fetch("http://localhost/_ping", { unix: sock } as RequestInit).then((r) => r.ok, () => false)) return;
    await Bun.sleep(100);
  }
  throw new Error(`${what} did not answer on ${sock}`);
}

function spawnCli(cmd: string[]) {
  return async (args: string[]) => {
    const p = Bun.spawn([...cmd, ...args], { stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, stdout, stderr };
  };
}

async function startDockerd(tmp: string, tar: string): Promise<Engine | string> {
  if (!Bun.which("dockerd")) return "not installed";
  const dir = join(tmp, "dockerd");
  mkdirSync(dir);
  const sock = join(dir, "docker.sock");
  const d = Bun.spawn(["dockerd", "--data-root", join(dir, "root"), "--exec-root", join(dir, "exec"), "-H", `unix://${sock}`,
    "--pidfile", join(dir, "docker.pid"), "--iptables=false", "--bridge=none"], { stdout: "ignore", stderr: Bun.file(join(tmp, "dockerd.log")) });
  const docker = Bun.which("docker", { PATH: "/usr/local/bin:/usr/bin" }) ?? "docker";
  const cli = spawnCli([docker, "-H", `unix://${sock}`]);
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
  return { name: "dockerd", cli, runFlags: [], stop };
}

async function startPodman(tmp: string, tar: string): Promise<Engine | string> {
  if (!Bun.which("podman")) return "not installed";
  const dir = join(tmp, "podman");
  const base = ["podman", "--root", join(dir, "root"), "--runroot", join(dir, "run"), "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", "runc"];
  const cli = spawnCli(base);
  const imp = await cli(["import", tar, "busybox"]);
  const stop = async () => {
    await $`${base} system reset -f`.nothrow().quiet();
    await $`umount -R ${dir}`.nothrow().quiet();
  };
  if (imp.code !== 0) {
    await stop();
    return `failed to start: ${imp.stderr.split("\n")[0]}`;
  }
  // Its default limits exceed this machine's hard limits (DESIGN.md).
  return { name: "podman", cli, runFlags: ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"], stop };
}

async function runcFloor(tmp: string, tar: string): Promise<number | undefined> {
  if (!Bun.which("runc")) return undefined;
  const bundle = join(tmp, "bundle");
  mkdirSync(join(bundle, "rootfs"), { recursive: true });
  await $`tar -C ${join(bundle, "rootfs")} -xf ${tar}`.quiet();
  await $`runc spec --bundle ${bundle}`.quiet();
  const spec = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
  spec.process.terminal = false;
  spec.process.args = ["/bin/true"];
  writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
  let i = 0;
  return timeIt(RUNS, () => $`runc run -b ${bundle} bench-${process.pid}-${i++}`.quiet().nothrow());
}

const kb = (status: string, key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? 0);

/** PSS of every shim process of the daemon (kB), read from smaps_rollup; the standby counts too. */
function shimPss(daemonPid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (!readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0").includes("__shim")) continue;
      if (kb(readFileSync(`/proc/${e}/status`, "utf8"), "PPid") !== daemonPid) continue;
      out.push(kb(readFileSync(`/proc/${e}/smaps_rollup`, "utf8"), "Pss"));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export async function run(): Promise<string> {
  const tmp = mkdtempSync("/tmp/berth-bench-run-");
  const d = await startDaemon();
  const engines: Engine[] = [];
  try {
    const tar = busyboxRootfsTar(tmp);
    await d.cli(["import", tar, "busybox"]);
    const berth: Engine = { name: "berth", cli: (a) => d.cli(a), runFlags: [], stop: async () => {} };
    const results = new Map<string, Figures | string>();
    results.set("berth", await measure(berth));

    // Memory with 20 containers running: the daemon, then each shim's share (PSS).
    const running: string[] = [];
    for (let i = 0; i < 20; i++) running.push((await d.cli(["run", "-d", "--network", "none", "busybox", "sleep", "300"])).stdout.trim());
    const status = readFileSync(`/proc/${d.pid}/status`, "utf8");
    const pss = shimPss(d.pid).filter((x) => x > 0);
    await d.cli(["rm", "-f", ...running]);

    for (const start of [startDockerd, startPodman]) {
      const e = await start(tmp, tar);
      if (typeof e === "string") {
        results.set(start === startDockerd ? "dockerd" : "podman", e);
        continue;
      }
      engines.push(e);
      try {
        results.set(e.name, await measure(e));
      } catch (err) {
        results.set(e.name, `failed: ${(err as Error).message.split("\n")[0]}`);
      }
      await e.stop();
    }
    const runcMs = await runcFloor(tmp, tar);

    const b = results.get("berth") as Figures;
    const row = (what: string, pick: (f: Figures) => number, unit: string, better: "lower" | "higher") => {
      const cells = ["berth", "dockerd", "podman"].map((n) => {
        const r = results.get(n)!;
        return typeof r === "string" ? r : `${pick(r).toFixed(unit === "/s" ? 1 : 0)}${unit === "/s" ? "/s" : " ms"}`;
      });
      const ratios = ["dockerd", "podman"].map((n) => {
        const r = results.get(n)!;
        if (typeof r === "string") return "—";
        return better === "lower" ? `${(pick(b) / pick(r)).toFixed(2)}×` : `${(pick(r) / pick(b)).toFixed(2)}×`;
      });
      return `| ${what} | ${cells.join(" | ")} | ${ratios.join(" | ")} |`;
    };
    const avgPss = pss.length ? pss.reduce((a, x) => a + x, 0) / pss.length / 1024 : 0;
    return [
      "### container start",
      "",
      `Median of ${RUNS}, each a fresh CLI process as a user runs it; busybox-static imported into each engine; \`--network none\` everywhere. Ratios are berth's time ÷ the peer's (for containers/s, the peer's rate ÷ berth's), so below 1 means berth is faster.`,
      "",
      "| what | berth | dockerd | podman | berth ÷ dockerd | berth ÷ podman |",
      "|---|---:|---:|---:|---:|---:|",
      row("`run --rm busybox true` (CLI → daemon → exit)", (f) => f.runMs, "ms", "lower"),
      row("`exec c true`", (f) => f.execMs, "ms", "lower"),
      row("20 concurrent `run --rm`", (f) => f.perSec, "/s", "higher"),
      row("`ps -a` with 100 containers", (f) => f.psMs, "ms", "lower"),
      "",
      `Floor: \`runc run\` of the same rootfs, ${runcMs === undefined ? "runc not installed" : `${runcMs.toFixed(0)} ms (berth's run is ${(b.runMs / runcMs).toFixed(2)}× it)`}.`,
      "",
      `berth's memory with 20 containers running: daemon RSS ${(kb(status, "VmRSS") / 1024).toFixed(0)} MB, of which ${(kb(status, "RssAnon") / 1024).toFixed(0)} MB private (the rest is the executable's pages, shared with every shim and CLI); shims ${avgPss.toFixed(1)} MB PSS each on average (${pss.length} shims, the standby included).`,
      "",
      "Targets from the containers issue: ≤ 35 ms per run, exec ≤ 20 ms, ≥ 30 containers/s, daemon ≤ 40 MB RSS, shim ≤ 8 MB PSS.",
      "",
    ].join("\n");
  } finally {
    for (const e of engines) await e.stop().catch(() => {});
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await run());
