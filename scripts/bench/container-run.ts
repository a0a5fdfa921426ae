// Container start: `berth run --rm busybox true` end to end (CLI → daemon →
// shim → exit), `exec c true`, and concurrent runs, against `runc run` of the
// same rootfs (the floor: a runtime with no engine around it).
import { $ } from "bun";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, startDaemon } from "../../tests/fixtures/daemon.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function run(): Promise<string> {
  const d = await startDaemon();
  const tmp = mkdtempSync("/tmp/berth-bench-run-");
  try {
    const tar = busyboxRootfsTar(tmp);
    await d.cli(["import", tar, "busybox"]);
    const runMs = await timeIt(15, () => d.cli(["run", "--rm", "busybox", "true"]));
    const id = (await d.cli(["run", "-d", "busybox", "sleep", "300"])).stdout.trim();
    const execMs = await timeIt(15, () => d.cli(["exec", id, "true"]));
    await d.cli(["rm", "-f", id]);
    const n = 20;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, () => d.cli(["run", "--rm", "busybox", "true"])));
    const perSec = n / ((performance.now() - t0) / 1000);

    let runcMs: number | undefined;
    if (Bun.which("runc")) {
      const bundle = join(tmp, "bundle");
      mkdirSync(join(bundle, "rootfs"), { recursive: true });
      await $`tar -C ${join(bundle, "rootfs")} -xf ${tar}`.quiet();
      await $`runc spec --bundle ${bundle}`.quiet();
      const spec = JSON.parse(await Bun.file(join(bundle, "config.json")).text());
      spec.process.terminal = false;
      spec.process.args = ["/bin/true"];
      writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
      let i = 0;
      runcMs = await timeIt(15, () => $`runc run -b ${bundle} bench-${process.pid}-${i++}`.quiet().nothrow());
    }
    const rssKb = Number((await Bun.file(`/proc/${d.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
    const rows = [
      `| \`berth run --rm busybox true\` (CLI → daemon → exit) | ${runMs.toFixed(0)} ms | ${runcMs ? (runMs / runcMs).toFixed(1) + "× runc" : "runc not installed"} |`,
      `| \`runc run\` of the same rootfs (floor) | ${runcMs ? runcMs.toFixed(0) + " ms" : "—"} | 1.0 |`,
      `| \`berth exec c true\` | ${execMs.toFixed(0)} ms | |`,
      `| ${n} concurrent \`run --rm\` | ${perSec.toFixed(1)} containers/s | |`,
      `| daemon RSS after the runs | ${(rssKb / 1024).toFixed(0)} MB | |`,
    ];
    return [
      "### container start",
      "",
      "Median of 15 (each a fresh CLI process, as a user runs it); busybox-static image imported locally.",
      "",
      "| what | time | ratio |",
      "|---|---:|---:|",
      ...rows,
      "",
      "Targets from the containers issue: ≤ 35 ms per run, exec ≤ 20 ms, ≥ 30 containers/s, daemon ≤ 40 MB RSS.",
      "",
    ].join("\n");
  } finally {
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await run());
