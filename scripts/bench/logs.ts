// `logs --tail 10` and a whole `logs` of a container that printed a million
// lines: berth (CLI → daemon) against dockerd and podman where installed, and
// the floor — `tail -n 10` and `cat` of berth's own json-file log.
import { $ } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { busyboxRootfsTar, startDaemon } from "../../tests/fixtures/daemon.ts";
import { interleaved, median, timed } from "./_rounds.ts";
import { must, startDockerd, startPodman, type Engine } from "./_engines.ts";

const LINES = Number(process.env.BERTH_BENCH_LOG_LINES) || 1_000_000;
const RUNS = 9;

export async function run(): Promise<string> {
  const tmp = mkdtempSync("/tmp/berth-bench-logs-");
  const d = await startDaemon();
  const peers: Engine[] = [];
  try {
    const tar = busyboxRootfsTar(tmp);
    const berth: Engine = { name: "berth", cli: (a) => d.cli(a), runFlags: [], stop: async () => {} };
    await must(berth, ["import", tar, "busybox"]);
    const notes = new Map<string, string>();
    for (const start of [startDockerd, startPodman]) {
      const e = await start(tmp, tar);
      if (typeof e === "string") notes.set(start === startDockerd ? "dockerd" : "podman", e);
      else peers.push(e);
    }
    const engines = [berth, ...peers];
    // The same output in every engine's json log.
    const ids = await Promise.all(engines.map(async (e) => {
      const id = await must(e, ["run", "-d", "--network", "none", ...e.runFlags, "busybox", "/bin/busybox", "seq", "1", String(LINES)]);
      await must(e, ["wait", id]);
      return id;
    }));
    const logPath = await must(berth, ["inspect", "-f", "{{.LogPath}}", ids[0]!]);
    const sizeMb = Bun.file(logPath).size / 1e6;
    const cli = (i: number, args: string[]) => async () => {
      const r = await engines[i]!.cli(args);
      if (r.code !== 0) throw new Error(`${engines[i]!.name} ${args.join(" ")}: ${r.stderr.trim()}`);
    };
    const contenders = [
      ...engines.map((e, i) => ({ name: e.name, tail: cli(i, ["logs", "--tail", "10", ids[i]!]), all: cli(i, ["logs", ids[i]!]) })),
      { name: "floor", tail: () => $`tail -n 10 ${logPath}`.quiet(), all: () => $`cat ${logPath}`.quiet() },
    ];
    const tails = await interleaved(contenders, RUNS, (c) => timed(c.tail));
    const alls = await interleaved(contenders, 3, (c) => timed(c.all));
    const b = { tail: median(tails[0]!), all: median(alls[0]!) };
    const cell = (name: string, which: "tail" | "all") => {
      const i = contenders.findIndex((c) => c.name === name);
      if (i < 0) return notes.get(name) ?? "not installed";
      const ms = median((which === "tail" ? tails : alls)[i]!);
      return `${ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
    };
    const ratio = (name: string, which: "tail" | "all") => {
      const i = contenders.findIndex((c) => c.name === name);
      return i < 0 ? "—" : `${(b[which] / median((which === "tail" ? tails : alls)[i]!)).toFixed(2)}×`;
    };
    return [
      "### logs",
      "",
      `A container that printed ${LINES.toLocaleString("en")} lines (\`seq\`); berth's json-file log is ${sizeMb.toFixed(0)} MB. Each CLI as a user runs it, output to a pipe; rounds visit every contender in a turning order; median of ${RUNS} for the tail, of 3 for the whole log. The floor reads berth's log file with \`tail -n 10\` and \`cat\` (no JSON, no API).`,
      "",
      "| what | berth | dockerd | podman | floor | berth ÷ dockerd | berth ÷ podman | berth ÷ floor |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      ...(["tail", "all"] as const).map((w) =>
        `| \`logs${w === "tail" ? " --tail 10" : ""}\` | ${cell("berth", w)} | ${cell("dockerd", w)} | ${cell("podman", w)} | ${cell("floor", w)} | ${ratio("dockerd", w)} | ${ratio("podman", w)} | ${ratio("floor", w)} |`),
      "",
    ].join("\n");
  } finally {
    for (const e of peers) await e.stop().catch(() => {});
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await run());
