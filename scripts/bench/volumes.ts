// Volumes: writing many small files into a volume against the same in a host
// directory on the same filesystem (the floor: a volume is a directory bound
// into the container, so it should cost nothing), and what five volumes and
// two binds add to a container's start; dockerd beside, where installed.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, startDaemon } from "../../tests/fixtures/daemon.ts";
import { interleaved, median, timed } from "./_rounds.ts";
import { must, startDockerd, type Engine } from "./_engines.ts";
import { scratchFs } from "./_scratch-fs.ts";

const FILES = 10_000;
const rounds = (normal: number) => Number(process.env.BENCH_ROUNDS) || normal;

/**
 * A busybox shell script that makes FILES small files in a new directory and
 * prints the time it took in ms, read from /proc/uptime (10 ms ticks) on both
 * sides of the loop, so neither a CLI nor a container start is counted.
 */
const makeFiles = (dir: string) =>
  `mkdir -p ${dir} && cd ${dir} && read a _ < /proc/uptime; i=0; while [ $i -lt ${FILES} ]; do echo x > f$i; i=$((i+1)); done; read b _ < /proc/uptime; echo $a $b`;

function elapsedMs(out: string): number {
  const [a, b] = out.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new Error(`unexpected timing output: ${out}`);
  return (b! - a!) * 1000;
}

interface Contender {
  name: string;
  once(round: number): Promise<number>;
}

export async function run(): Promise<string> {
  const scratch = await scratchFs("volumes", 4);
  const tmp = mkdtempSync(join(scratch.dir, "volumes-"));
  const d = await startDaemon({ parent: scratch.dir });
  const engines: Engine[] = [];
  const started: [Engine, string][] = [];
  try {
    const tar = busyboxRootfsTar(tmp);
    await d.cli(["import", tar, "busybox"]);
    const berth: Engine = { name: "berth", cli: (a) => d.cli(a), runFlags: [], stop: async () => {} };
    const dockerd = await startDockerd(tmp, tar);
    if (typeof dockerd !== "string") engines.push(dockerd);
    const measured = [berth, ...engines];

    // 1. Small files: each engine's container writes into a named volume; the host writes into a directory beside their data roots.
    const host = join(tmp, "host-dir");
    mkdirSync(host);
    const contenders: Contender[] = [{
      name: "host directory",
      once: async (r) => {
        const p = Bun.spawn(["busybox", "sh", "-c", makeFiles(join(host, `r${r}`))], { stdout: "pipe", stderr: "inherit" });
        const out = await new Response(p.stdout).text();
        if ((await p.exited) !== 0) throw new Error("host file loop failed");
        return elapsedMs(out);
      },
    }];
    for (const e of measured) {
      const id = await must(e, ["run", "-d", "--network", "none", "-v", "bench-files:/v", ...e.runFlags, "busybox", "sleep", "900"]);
      started.push([e, id]);
      contenders.push({ name: e.name, once: async (r) => elapsedMs(await must(e, ["exec", id, "sh", "-c", makeFiles(`/v/r${r}`)])) });
    }
    const fileRounds = rounds(5);
    const files = (await interleaved(contenders, fileRounds, (c, r) => c.once(r))).map(median);

    // 2. Start with five named volumes (made beforehand) and two binds, against none.
    const binds = [join(tmp, "bind-a"), join(tmp, "bind-b")];
    for (const b of binds) mkdirSync(b);
    const mountFlags = [...[1, 2, 3, 4, 5].flatMap((i) => ["-v", `bench-vol-${i}:/vol${i}`]), "-v", `${binds[0]}:/bind-a`, "-v", `${binds[1]}:/bind-b:ro`];
    for (const e of measured) {
      for (let i = 1; i <= 5; i++) await must(e, ["volume", "create", `bench-vol-${i}`]);
      await must(e, ["run", "--rm", "--network", "none", ...mountFlags, ...e.runFlags, "busybox", "true"]); // warm caches
    }
    const starts = measured.flatMap((e) => [
      { e, with: false, args: ["run", "--rm", "--network", "none", ...e.runFlags, "busybox", "true"] },
      { e, with: true, args: ["run", "--rm", "--network", "none", ...mountFlags, ...e.runFlags, "busybox", "true"] },
    ]);
    const startRounds = rounds(15);
    // Each start after a pause: a berth start that follows another within ~150 ms finds no standby
    // ready yet and pays for a cold one (~75 ms here), whichever of the two has the mounts.
    const startMs = (await interleaved(starts, startRounds, async (s) => {
      await Bun.sleep(400);
      return timed(() => must(s.e, s.args));
    })).map(median);

    const floor = files[0]!;
    const fileRows = contenders.map((c, i) =>
      `| ${c.name === "host directory" ? "host directory (floor)" : `${c.name}: named volume`} | ${files[i]!.toFixed(0)} ms | ${(FILES / (files[i]! / 1000)).toFixed(0)}/s | ${(floor / files[i]!).toFixed(2)}× |`);
    const startRows = measured.map((e, i) => {
      const none = startMs[2 * i]!;
      const withMounts = startMs[2 * i + 1]!;
      return `| ${e.name} | ${none.toFixed(0)} ms | ${withMounts.toFixed(0)} ms | ${(withMounts - none).toFixed(1)} ms |`;
    });
    return [
      "### volumes",
      "",
      `${scratch.note}; busybox-static imported into each engine. Contenders run side by side in rounds that visit each of them in a turning order; medians.`,
      "",
      `Creating ${FILES.toLocaleString("en")} small files (\`echo x > fN\` in a busybox shell loop, timed inside the loop from /proc/uptime, so no CLI or start is counted) in a named volume of a running container (through exec), against the same loop on the host in a directory on the same filesystem. Median of ${fileRounds}; the ratio is the floor's time ÷ the contender's (1.00× = as fast as the host directory). Target: berth ≥ 0.95×.`,
      "",
      "| where | time | files/s | floor ÷ it |",
      "|---|---:|---:|---:|",
      ...fileRows,
      ...(typeof dockerd === "string" ? [`| dockerd: named volume | ${dockerd} | | |`] : []),
      "",
      `Container start with five named volumes (made beforehand) and two binds (one \`:ro\`), against none: \`run --rm --network none busybox true\` end to end, each after a pause of 400 ms (a berth start right after another finds no standby ready and pays for a cold one, mounts or not), median of ${startRounds}. Target: berth ≤ 3 ms more.`,
      "",
      "| engine | no mounts | 5 volumes + 2 binds | added |",
      "|---|---:|---:|---:|",
      ...startRows,
      ...(typeof dockerd === "string" ? [`| dockerd | ${dockerd} | | |`] : []),
      "",
    ].join("\n");
  } finally {
    for (const [e, id] of started) await e.cli(["rm", "-f", id]).catch(() => {});
    for (const e of engines) await e.stop().catch(() => {});
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
    await scratch.release();
  }
}

if (import.meta.main) console.log(await run());
