// Container start: `run --rm busybox true` end to end (CLI → daemon → shim →
// exit), `exec c true`, 20 concurrent runs and `ps` with 100 containers, for
// berth and, where installed, dockerd and podman (started here on their own
// storage, as DESIGN.md shows), against `runc run` of the same rootfs (the
// floor: a runtime with no engine around it). Then memory: berth's daemon idle
// (its private pages), and each engine's whole (daemon, shims, runtime) with
// 20 idle containers, beside dockerd's.
import { $ } from "bun";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, startDaemon } from "../../tests/fixtures/daemon.ts";
import { interleaved, median, timed } from "./_rounds.ts";
import { must, startDockerd, startPodman, type Engine } from "./_engines.ts";
import { scratchFs } from "./_scratch-fs.ts";
import { engineMemory, mb, privateSplit, processMemory, sameExecutable, type Memory } from "./_memory.ts";
import { formatUsage, medianUsage, minus, settled, subreaper, treeUsage, waitedChildren, type Usage } from "./_usage.ts";

const RUNS = Number(process.env.BERTH_BENCH_RUN_ROUNDS) || 15;

interface Figures {
  runMs: number;
  execMs: number;
  perSec: number;
  psMs: number;
  /** Medians per operation: the engine's processes (daemon, shims, runtime) and the CLI's. */
  runCost: Cost;
  execCost: Cost;
}

interface Cost {
  engine?: Usage;
  client: Usage;
}

/** `fn` timed (ms), its CLI's cost (this process's waited children) pushed on `clients`. */
async function costed(clients: Usage[], fn: () => Promise<unknown>): Promise<number> {
  const c0 = waitedChildren();
  const ms = await timed(fn);
  clients.push(minus(waitedChildren(), c0));
  return ms;
}

/**
 * The engines' cost of `rounds` operations each, per operation: the whole
 * stretch from before the first to after the last has settled (a standby
 * shim made after a run is that run's cost too), divided by the rounds.
 * The operations' own times are taken back to back as before.
 */
async function perOperation<T>(engines: Engine[], rounds: number, measure: () => Promise<T>): Promise<[T, (Usage | undefined)[]]> {
  const probe = () => engines.map((e) => (e.roots ? treeUsage(e.roots) : undefined));
  const before = probe();
  const value = await measure();
  await settled(probe);
  const after = probe();
  return [value, engines.map((_, i) => {
    const [a, b] = [after[i], before[i]];
    if (!a || !b) return undefined;
    const d = minus(a, b);
    return { faults: Math.round(d.faults / rounds), cpuMs: d.cpuMs / rounds };
  })];
}

const runArgs = (e: Engine) => ["run", "--rm", "--network", "none", ...e.runFlags, "busybox", "true"];

/** Every figure for every engine, each taken in interleaved rounds; the runc floor joins the run rounds. */
async function measureAll(engines: Engine[], runcOnce?: () => Promise<number>): Promise<{ figures: Figures[]; runcMs?: number }> {
  for (const e of engines) await must(e, runArgs(e)); // warm caches
  type Runner = { once: () => Promise<number> };
  const runClients = engines.map(() => [] as Usage[]);
  const runners: Runner[] = engines.map((e, i) => ({ once: () => costed(runClients[i]!, () => must(e, runArgs(e))) }));
  if (runcOnce) runners.push({ once: runcOnce });
  const [runs, runEngines] = await perOperation(engines, RUNS, () => interleaved(runners, RUNS, (r) => r.once()));

  const sleepers = await Promise.all(engines.map((e) => must(e, ["run", "-d", "--network", "none", ...e.runFlags, "busybox", "sleep", "300"])));
  const execClients = engines.map(() => [] as Usage[]);
  const [execs, execEngines] = await perOperation(engines, RUNS, () =>
    interleaved(engines.map((e, i) => ({ e, i, id: sleepers[i]! })), RUNS, ({ e, i, id }) => costed(execClients[i]!, () => must(e, ["exec", id, "true"]))));
  for (const [i, e] of engines.entries()) await must(e, ["rm", "-f", sleepers[i]!]);

  const n = 20;
  const bursts = await interleaved(engines, 3, async (e) => n / ((await timed(() => Promise.all(Array.from({ length: n }, () => must(e, runArgs(e)))))) / 1000));

  const made = await Promise.all(engines.map(async (e) => {
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await must(e, ["create", "--network", "none", "busybox", "true"]));
    return ids;
  }));
  const ps = await interleaved(engines, RUNS, (e) => timed(() => must(e, ["ps", "-a"])));
  for (const [i, e] of engines.entries()) await must(e, ["rm", ...made[i]!]);

  return {
    figures: engines.map((_, i) => ({
      runMs: median(runs[i]!), execMs: median(execs[i]!), perSec: median(bursts[i]!), psMs: median(ps[i]!),
      runCost: { engine: runEngines[i], client: medianUsage(runClients[i]!) },
      execCost: { engine: execEngines[i], client: medianUsage(execClients[i]!) },
    })),
    runcMs: runcOnce ? median(runs[engines.length]!) : undefined,
  };
}

/** One `runc run` of the same rootfs, timed (undefined when runc is not installed). */
async function runcFloor(tmp: string, tar: string): Promise<(() => Promise<number>) | undefined> {
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
  return () => timed(() => $`runc run -b ${bundle} bench-${process.pid}-${i++}`.quiet().nothrow());
}

/** Each engine's memory with 20 idle containers (daemonless engines have no tree to read). */
async function withTwentyIdle(engines: Engine[]): Promise<Map<string, Memory>> {
  const out = new Map<string, Memory>();
  for (const e of engines) {
    if (!e.roots) continue;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await must(e, ["run", "-d", "--network", "none", ...e.runFlags, "busybox", "sleep", "300"]));
    await Bun.sleep(2000); // the starts' transient work (workers, buffers) settles
    out.set(e.name, engineMemory(e.roots));
    await must(e, ["rm", "-f", ...ids]);
  }
  return out;
}

export async function run(): Promise<string> {
  // Every engine's storage on a fresh ext4 with a journal, as in the pull benchmark (see _scratch-fs.ts).
  const scratch = await scratchFs("run", 8);
  const tmp = mkdtempSync(join(scratch.dir, "run-"));
  const d = await startDaemon({ parent: scratch.dir });
  const engines: Engine[] = [];
  try {
    const tar = busyboxRootfsTar(tmp);
    await d.cli(["import", tar, "busybox"]);
    const berth: Engine = { name: "berth", cli: (a) => d.cli(a), runFlags: [], roots: [d.pid], stop: async () => {} };
    const results = new Map<string, Figures | string>();

    // berth's daemon idle, before the peers start, 21 s after the import as in every earlier run:
    // its idle collection (src/server/idle-collect.ts) has run by then.
    await Bun.sleep(21_000);
    const idle = processMemory(d.pid);
    const idleSplit = privateSplit(d.pid);
    const idleSharers = sameExecutable(d.pid);

    // All engines up at once, then every figure in rounds that visit each of them.
    const measured: Engine[] = [berth];
    for (const start of [startDockerd, startPodman]) {
      const e = await start(tmp, tar);
      if (typeof e === "string") results.set(start === startDockerd ? "dockerd" : "podman", e);
      else {
        engines.push(e);
        measured.push(e);
      }
    }
    const { figures, runcMs } = await measureAll(measured, await runcFloor(tmp, tar));
    const peerIdle = new Map(measured.filter((e) => e.roots && e !== berth).map((e) => [e.name, engineMemory(e.roots!)]));
    const twenty = await withTwentyIdle(measured);
    measured.forEach((e, i) => results.set(e.name, figures[i]!));

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
    const costRow = (what: string, pick: (f: Figures) => Cost) => {
      const of = (n: string) => {
        const r = results.get(n);
        return r === undefined || typeof r === "string" ? undefined : pick(r);
      };
      return `| ${what} | ${formatUsage(of("berth")?.engine)} | ${formatUsage(of("berth")?.client)} | ${formatUsage(of("dockerd")?.engine)} | ${formatUsage(of("dockerd")?.client)} | ${formatUsage(of("podman")?.client)} |`;
    };
    const bt = twenty.get("berth");
    const dt = twenty.get("dockerd");
    const dIdle = peerIdle.get("dockerd");
    return [
      "### container start",
      "",
      `Median of ${RUNS} (of 3 for the concurrent runs), each a fresh CLI process as a user runs it; busybox-static imported into each engine; \`--network none\` everywhere; ${scratch.note}. All engines run side by side and each figure is taken in rounds that visit every engine (and runc, for the run) in a turning order. Ratios are berth's time ÷ the peer's (for containers/s, the peer's rate ÷ berth's), so below 1 means berth is faster.`,
      "",
      "| what | berth | dockerd | podman | berth ÷ dockerd | berth ÷ podman |",
      "|---|---:|---:|---:|---:|---:|",
      row("`run --rm busybox true` (CLI → daemon → exit)", (f) => f.runMs, "ms", "lower"),
      row("`exec c true`", (f) => f.execMs, "ms", "lower"),
      row("20 concurrent `run --rm`", (f) => f.perSec, "/s", "higher"),
      row("`ps -a` with 100 containers", (f) => f.psMs, "ms", "lower"),
      "",
      "Faults and CPU per operation (scripts/bench/_usage.ts): minor page faults and CPU time, which carry across hosts where times do not. The engine's figure is the daemon and every process under it from before the first operation to after the last has settled (a standby made for the next one included), divided by the operations (berth: daemon, shims, stage 2; dockerd" + (subreaper([]).reaped ? " under a subreaper (tini -s), so that containerd's double-forked shims and their runc count too" : ": containerd's double-forked shims are not counted, tini is not installed") + "); podman has no daemon, so its CLI is all of it. The CLI's is the median per operation of the client process with what it waited for. CPU comes in 10 ms ticks, so a single figure under ~30 ms is coarse.",
      "",
      "| what | berth: engine | berth: CLI | dockerd: engine | dockerd: CLI | podman: CLI |",
      "|---|---:|---:|---:|---:|---:|",
      costRow("`run --rm busybox true`", (f) => f.runCost),
      costRow("`exec c true`", (f) => f.execCost),
      "",
      `Floor: \`runc run\` of the same rootfs, ${runcMs === undefined ? "runc not installed" : `${runcMs.toFixed(0)} ms (berth's run is ${(b.runMs / runcMs).toFixed(2)}× it)`}.`,
      "",
      "Memory (scripts/bench/_memory.ts, from smaps_rollup): USS counts the pages only that process maps; PSS divides each shared page among the processes mapping it, so the sum over an engine's processes (daemon, shims, runtime; not the containers' programs) counts the executable's pages once.",
      "",
      "| what | berth | dockerd | berth ÷ dockerd |",
      "|---|---:|---:|---:|",
      `| the daemon idle, USS (dockerd: dockerd + containerd) | ${idle ? `${mb(idle.ussKb)} (${idleSplit ? `anonymous ${mb(idleSplit.anonKb)}, the executable's code ${mb(idleSplit.textKb)} and data ${mb(idleSplit.dataKb)}; ` : ""}${idleSharers} other processes of its executable running)` : "—"} | ${dIdle ? mb(dIdle.ussKb) : results.get("dockerd") ?? "—"} | ${idle && dIdle ? `${(idle.ussKb / dIdle.ussKb).toFixed(2)}×` : "—"} |`,
      `| the engine with 20 idle containers, PSS | ${bt ? `${mb(bt.pssKb)} (${bt.processes} processes)` : "—"} | ${dt ? `${mb(dt.pssKb)} (${dt.processes} processes)` : "—"} | ${bt && dt ? `${(bt.pssKb / dt.pssKb).toFixed(2)}×` : "—"} |`,
      "",
      "Targets, as ratios to the peers measured in the same run (the shaping issue): `run --rm` ≤ 0.15× docker's and ≤ 1.25× `runc run`; `exec` ≤ 0.5× docker's; 20 concurrent runs ≥ 5× docker's rate; the daemon idle ≤ 20 MB USS; the engine with 20 idle containers ≤ 0.5× dockerd + containerd + their shims (PSS).",
      "",
    ].join("\n");
  } finally {
    for (const e of engines) await e.stop().catch(() => {});
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
    await scratch.release();
  }
}

if (import.meta.main) console.log(await run());
