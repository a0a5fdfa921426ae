// Dockerfile builds: a 6-step Dockerfile (FROM, a COPY of a 100 MB tree of
// 10,000 files, three RUN steps, CMD) built uncached, rebuilt from the cache,
// and rebuilt after one copied file changed — berth through its CLI and
// daemon, against dockerd's classic builder (the docker CLI with
// DOCKER_BUILDKIT=0) and `podman build`, all on the same context, in rounds
// that visit every engine.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, startDaemon } from "../../tests/fixtures/daemon.ts";
import { interleaved, median } from "./_rounds.ts";
import { processTree, treeUsage } from "./_usage.ts";
import { must, startDockerd, startPodman, type Engine } from "./_engines.ts";
import { scratchFs } from "./_scratch-fs.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS) || 3;
const FILES = 10_000;
const TOTAL_MB = 100;

const DOCKERFILE = `FROM busybox
COPY tree /app
RUN find /app -type f | wc -l > /files
RUN cat /app/d0/* | wc -c > /bytes
RUN echo built > /stamp
CMD ["cat", "/files"]
`;

/** The context: 10,000 files of ~10 KB in 100 directories, half random bytes, half text. */
function makeContext(dir: string): string {
  const size = Math.floor((TOTAL_MB << 20) / FILES);
  const text = new TextEncoder().encode("layer cache context build step ".repeat(Math.ceil(size / 31)).slice(0, size));
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, "tree", `d${i % 100}`);
    if (i < 100) mkdirSync(sub, { recursive: true });
    let bytes = text;
    if (i % 2 === 0) {
      bytes = new Uint8Array(size);
      crypto.getRandomValues(bytes.subarray(0, Math.min(size, 65536)));
    }
    writeFileSync(join(sub, `f${i}`), bytes);
  }
  writeFileSync(join(dir, "Dockerfile"), DOCKERFILE);
  return dir;
}

type Op = "uncached" | "cached" | "changed";

/** One build's cost: its time, and for an engine with a daemon, the daemon tree's CPU and the bytes it wrote. */
interface Sample {
  ms: number;
  cpuMs?: number;
  written?: number;
}

/** Bytes the processes under `roots` had storage write for them (/proc/PID/io write_bytes): what carries across load where times do not. */
function treeWritten(roots: number[]): number {
  let total = 0;
  for (const pid of processTree(roots)) {
    try {
      total += Number(/write_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, "latin1"))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** One build of the context by `e`; throws when it fails. */
function buildOnce(e: Engine, ctx: string, op: Op): Promise<unknown> {
  const flags = ["--network", "none", "-q", ...(op === "uncached" ? ["--no-cache"] : []), "-t", "bench-build:1"];
  return must(e, ["build", ...flags, ctx]);
}

export async function run(): Promise<string> {
  const scratch = await scratchFs("build", 8);
  const tmp = mkdtempSync(join(scratch.dir, "build-"));
  const d = await startDaemon({ parent: scratch.dir });
  const engines: Engine[] = [];
  const missing = new Map<string, string>();
  try {
    const tar = busyboxRootfsTar(tmp);
    const berth: Engine = { name: "berth", cli: (a) => d.cli(a, { timeoutMs: 600_000 }), runFlags: [], roots: [d.pid], stop: async () => {} };
    await must(berth, ["import", tar, "busybox"]);
    engines.push(berth);
    for (const [name, start] of [["dockerd", startDockerd], ["podman", startPodman]] as const) {
      const e = await start(tmp, tar);
      if (typeof e === "string") missing.set(name, e);
      else engines.push(e);
    }
    const ctx = makeContext(mkdtempSync(join(tmp, "ctx-")));
    // Each engine's first build fills its cache; every later "cached" round finds it.
    for (const e of engines) await buildOnce(e, ctx, "cached");
    let change = 0;
    const once = async (e: Engine, op: Op) => {
      // A new content for one file, so each engine's round misses from the COPY on.
      if (op === "changed") writeFileSync(join(ctx, "tree/d7/f7"), `changed ${change++} for ${e.name}\n`);
      const [u0, w0] = e.roots ? [treeUsage(e.roots), treeWritten(e.roots)] : [];
      const t = performance.now();
      await buildOnce(e, ctx, op);
      const sample: Sample = { ms: performance.now() - t };
      if (e.roots) {
        sample.cpuMs = treeUsage(e.roots).cpuMs - u0!.cpuMs;
        sample.written = treeWritten(e.roots) - w0!;
      }
      return sample;
    };
    const samples = new Map<Op, Sample[][]>();
    for (const op of ["uncached", "cached", "changed"] as const) samples.set(op, await interleaved(engines, ROUNDS, (e) => once(e, op)));

    const of = (op: Op, name: string, pick: (s: Sample) => number | undefined) => {
      const i = engines.findIndex((e) => e.name === name);
      const xs = i < 0 ? [] : samples.get(op)![i]!.map(pick).filter((x): x is number => x !== undefined);
      return xs.length ? median(xs) : undefined;
    };
    const ms = (op: Op, name: string) => of(op, name, (s) => s.ms);
    const costs = (op: Op, name: string) => {
      const [cpu, written] = [of(op, name, (s) => s.cpuMs), of(op, name, (s) => s.written)];
      return cpu === undefined || written === undefined ? "—" : `${(cpu / 1000).toFixed(2)} s, ${(written / 2 ** 20).toFixed(0)} MiB`;
    };
    const cell = (op: Op, name: string) => {
      const v = ms(op, name);
      return v === undefined ? missing.get(name) ?? "—" : `${(v / 1000).toFixed(2)} s`;
    };
    const ratio = (op: Op, name: string) => {
      const [b, p] = [ms(op, "berth"), ms(op, name)];
      return b === undefined || p === undefined ? "—" : `${(b / p).toFixed(2)}×`;
    };
    const row = (what: string, op: Op, target: string) =>
      `| ${what} | ${cell(op, "berth")} | ${cell(op, "dockerd")} | ${cell(op, "podman")} | ${ratio(op, "dockerd")} | ${ratio(op, "podman")} | ${target} |`;
    return [
      "### build",
      "",
      `A 6-step Dockerfile — FROM busybox, a COPY of a ${TOTAL_MB} MB tree of ${FILES.toLocaleString("en")} files (half random bytes, half text), three RUN steps (find | wc, cat | wc, echo), CMD — built by each engine from its own CLI with \`--network none -q\`: uncached (\`--no-cache\`), the cached rebuild of the unchanged context, and the rebuild after one copied file changed (new content each time: the COPY and the three RUN steps run again). dockerd is driven by the docker CLI with DOCKER_BUILDKIT=0 (the classic builder; the context goes over the API as a tar, as it does to berth); podman build reads the context directly. Medians of ${ROUNDS} rounds, each visiting every engine in a turning order; ${scratch.note}. Ratios are berth's time ÷ the peer's: below 1 means berth is faster.`,
      "",
      "| build | berth | dockerd | podman | berth ÷ dockerd | berth ÷ podman | target (÷ dockerd) |",
      "|---|---:|---:|---:|---:|---:|---:|",
      row("uncached", "uncached", "≤ 0.6×"),
      row("cached rebuild", "cached", "≤ 0.3×"),
      row("rebuild after one file changed", "changed", "≤ 0.5×"),
      "",
      "Targets from the builds issue: cached rebuild ≤ 0.3× docker's, uncached ≤ 0.6×, rebuild after one change ≤ 0.5×.",
      "",
      "What each build cost the engine's daemon tree (berth's daemon and what it runs; dockerd with containerd and its shims), medians of the same rounds: CPU, and the bytes it had written to storage (/proc/PID/io write_bytes). These carry across a loaded host where the times do not.",
      "",
      "| build | berth CPU, written | dockerd CPU, written |",
      "|---|---:|---:|",
      ...(["uncached", "cached", "changed"] as const).map((op) => `| ${op === "changed" ? "rebuild after one file changed" : op === "cached" ? "cached rebuild" : "uncached"} | ${costs(op, "berth")} | ${costs(op, "dockerd")} |`),
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
