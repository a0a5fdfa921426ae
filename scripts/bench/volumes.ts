// Volumes: making many small files in a volume against the same in a host
// directory on the same filesystem (the floor: a volume is a directory bound
// into the container, so it should cost nothing), and what five volumes and
// two binds add to a container's start; dockerd beside, where installed.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { busyboxRootfsTar, startDaemon } from "../../tests/fixtures/daemon.ts";
import { interleaved, median, timed } from "./_rounds.ts";
import { must, startDockerd, type Engine } from "./_engines.ts";
import { scratchFs } from "./_scratch-fs.ts";
import { minus, settled, treeUsage } from "./_usage.ts";

const FILES = 10_000;
const rounds = (normal: number) => Number(process.env.BENCH_ROUNDS) || normal;
const here = new URL(".", import.meta.url).pathname;

/** What file-maker (file-maker.c) reports: its loop's time and its own CPU, ms. */
interface Sample {
  ms: number;
  cpuMs: number;
}

function parseSample(out: string): Sample {
  const [ns, userUs, sysUs] = out.trim().split(/\s+/).map(Number);
  if (!(ns! > 0) || !Number.isFinite(userUs) || !Number.isFinite(sysUs)) throw new Error(`file-maker said: ${out}`);
  return { ms: ns! / 1e6, cpuMs: (userUs! + sysUs!) / 1e3 };
}

/** busybox-static with file-maker (built static here) in /bin, as a tar to import; and file-maker's path. */
function imageWithFileMaker(tmp: string): { tar: string; program: string } {
  const program = join(tmp, "file-maker");
  const cc = Bun.spawnSync(["gcc", "-static", "-O2", "-o", program, join(here, "file-maker.c")]);
  if (cc.exitCode !== 0) throw new Error(`cannot build file-maker: ${cc.stderr.toString()}`);
  busyboxRootfsTar(tmp);
  copyFileSync(program, join(tmp, "busybox-rootfs/bin/file-maker"));
  const tar = join(tmp, "file-maker.tar");
  if (Bun.spawnSync(["tar", "-C", join(tmp, "busybox-rootfs"), "-cf", tar, "."]).exitCode !== 0) throw new Error("cannot pack the image");
  return { tar, program };
}

/**
 * A cgroup `name` (a path under the hierarchies' roots) in every hierarchy a
 * container's cgroup is in (the controllers; not systemd's named one), as a
 * container gets one: its memory controller charges the inodes and dentries a
 * process makes, which the host's root cgroup does not. Returns the
 * directories whose cgroup.procs to join.
 */
function benchCgroup(name: string): string[] {
  const root = "/sys/fs/cgroup";
  const v2 = readdirSync(root).includes("cgroup.controllers");
  const dirs = v2 ? [join(root, name)] : readdirSync(root).filter((c) => !["systemd", "unified"].includes(c)).map((c) => join(root, c, name));
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    // A v1 cpuset starts with no CPUs and no memory nodes: give it its parent's.
    if (dir.includes("/cpuset/")) for (const f of ["cpuset.cpus", "cpuset.mems"]) writeFileSync(join(dir, f), readFileSync(join(dirname(dir), f)));
  }
  return dirs;
}

interface Contender {
  name: string;
  once(round: number): Promise<Sample>;
}

export async function run(): Promise<string> {
  // Files are never deleted between samples (that would leave work to later ones): inodes for all of them.
  const scratch = await scratchFs("volumes", 4, { inodes: 1_500_000 });
  const tmp = mkdtempSync(join(scratch.dir, "volumes-"));
  const d = await startDaemon({ parent: scratch.dir });
  const engines: Engine[] = [];
  const started: [Engine, string][] = [];
  const cgroups: string[] = [];
  try {
    const { tar, program } = imageWithFileMaker(tmp);
    await d.cli(["import", tar, "busybox"]);
    const berth: Engine = { name: "berth", cli: (a) => d.cli(a), runFlags: [], roots: [d.pid], stop: async () => {} };
    const dockerd = await startDockerd(tmp, tar);
    if (typeof dockerd !== "string") engines.push(dockerd);
    const measured = [berth, ...engines];

    // 1. Small files, made by one static program everywhere: in each engine's named volume (through exec), and on
    // the host in a directory on the same filesystem, both in the host's root cgroup and in a cgroup of its own.
    const host = join(tmp, "host-dir");
    mkdirSync(host);
    const onHost = (cgroup: string[]) => async (r: number) => {
      const enter = cgroup.map((dir) => `echo $$ > ${dir}/cgroup.procs && `).join("");
      const p = Bun.spawn(["sh", "-c", `${enter}exec "$0" "$@"`, program, join(host, `${cgroup.length ? "cg" : "root"}-${r}`), String(FILES)], { stdout: "pipe", stderr: "inherit" });
      const out = await new Response(p.stdout).text();
      if ((await p.exited) !== 0) throw new Error("file-maker failed on the host");
      return parseSample(out);
    };
    const inVolume: Contender[] = [];
    for (const e of measured) {
      const id = await must(e, ["run", "-d", "--network", "none", "-v", "bench-files:/v", ...e.runFlags, "busybox", "sleep", "900"]);
      started.push([e, id]);
      inVolume.push({ name: `${e.name}: named volume`, once: async (r) => parseSample(await must(e, ["exec", id, "file-maker", `/v/r${r}`, String(FILES)])) });
    }
    // Beside berth's containers' cgroups, at the same depth (made once theirs exist: a v1 cpuset parent is set up by berth).
    cgroups.push(...benchCgroup(join(d.cgroupParent, `bench-host-${process.pid}`)));
    const contenders: Contender[] = [
      { name: "host directory, in a cgroup of its own (floor)", once: onHost(cgroups) },
      { name: "host directory, in the root cgroup", once: onHost([]) },
      ...inVolume,
    ];
    const fileRounds = rounds(21);
    const fileSamples = await interleaved(contenders, fileRounds, (c, r) => {
      // Each sample starts with nothing of the last one's left to write back.
      Bun.spawnSync(["sync", "-f", host]);
      return c.once(r);
    });
    const files = fileSamples.map((xs) => ({ ms: median(xs.map((x) => x.ms)), cpuMs: median(xs.map((x) => x.cpuMs)) }));

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
    const startRounds = rounds(31);
    // Each start after a pause: a berth start that follows another within ~150 ms finds no standby
    // ready yet and pays for a cold one (~75 ms here), whichever of the two has the mounts. The
    // engine's CPU is read from before the pause to after the start's background work (the next
    // standby) has settled, so each sample holds one start and all it caused.
    const startSamples = await interleaved(starts, startRounds, async (s) => {
      const probe = () => [s.e.roots ? treeUsage(s.e.roots) : undefined];
      const before = probe()[0];
      await Bun.sleep(400);
      const ms = await timed(() => must(s.e, s.args));
      await settled(probe);
      const after = probe()[0];
      return { ms, cpuMs: before && after ? minus(after, before).cpuMs : undefined };
    });
    const startMs = startSamples.map((xs) => median(xs.map((x) => x.ms)));
    // CPU comes in 10 ms ticks: the mean over the rounds resolves what one start adds, a median would not.
    const startCpu = startSamples.map((xs) => (xs.every((x) => x.cpuMs !== undefined) ? xs.reduce((n, x) => n + x.cpuMs!, 0) / xs.length : undefined));

    const floor = files[0]!;
    const fileRows = contenders.map((c, i) =>
      `| ${c.name} | ${files[i]!.ms.toFixed(1)} ms | ${(FILES / (files[i]!.ms / 1000)).toFixed(0)}/s | ${(floor.ms / files[i]!.ms).toFixed(2)}× | ${files[i]!.cpuMs.toFixed(1)} ms | ${(floor.cpuMs / files[i]!.cpuMs).toFixed(2)}× |`);
    const startRows = measured.map((e, i) => {
      const none = startMs[2 * i]!;
      const withMounts = startMs[2 * i + 1]!;
      const [cpuNone, cpuWith] = [startCpu[2 * i], startCpu[2 * i + 1]];
      const cpu = cpuNone === undefined || cpuWith === undefined ? "— | — | —" : `${cpuNone.toFixed(1)} ms | ${cpuWith.toFixed(1)} ms | ${(cpuWith - cpuNone).toFixed(1)} ms`;
      return `| ${e.name} | ${none.toFixed(0)} ms | ${withMounts.toFixed(0)} ms | ${(withMounts - none).toFixed(1)} ms | ${cpu} |`;
    });
    return [
      "### volumes",
      "",
      `${scratch.note}; busybox-static imported into each engine. Contenders run side by side in rounds that visit each of them in a turning order; medians.`,
      "",
      `Creating ${FILES.toLocaleString("en")} small files (file-maker, scripts/bench/file-maker.c, built static: \`openat\`, a 2-byte \`write\` and \`close\` per file in a new directory, timed by the program itself on CLOCK_MONOTONIC around its loop, so no CLI, exec or start is counted; its own CPU from getrusage beside) in a named volume of a running container (through exec), against the same program on the host in a directory on the same filesystem, once in a cgroup of its own in each controller a container has (the floor: a container's memory cgroup charges the inodes and dentries it makes, which the host's root cgroup does not) and once in the root cgroup. Each sample starts after a \`sync -f\` of the filesystem. Median of ${fileRounds}; the ratios are the floor's figure ÷ the contender's (1.00× = as fast as the host directory). Target: berth ≥ 0.95× in time.`,
      "",
      "| where | time | files/s | floor ÷ it | CPU | floor ÷ it |",
      "|---|---:|---:|---:|---:|---:|",
      ...fileRows,
      ...(typeof dockerd === "string" ? [`| dockerd: named volume | ${dockerd} | | | | |`] : []),
      "",
      `Container start with five named volumes (made beforehand) and two binds (one \`:ro\`), against none: \`run --rm --network none busybox true\` end to end, each after a pause of 400 ms (a berth start right after another finds no standby ready and pays for a cold one, mounts or not); time: median of ${startRounds}. Beside it the engine's CPU per start (scripts/bench/_usage.ts: the daemon and every process under it, berth's shims and stage 2 included, from before the pause to after the start's background work has settled; CPU comes in 10 ms ticks, so this is the mean of the ${startRounds}), which a busy host moves far less than the time. Target: berth ≤ 3 ms more, in time (and its added CPU, the work the mounts cost, well under that).`,
      "",
      "| engine | no mounts | 5 volumes + 2 binds | added | CPU, no mounts | CPU, with them | CPU added |",
      "|---|---:|---:|---:|---:|---:|---:|",
      ...startRows,
      ...(typeof dockerd === "string" ? [`| dockerd | ${dockerd} | | | | | |`] : []),
      "",
    ].join("\n");
  } finally {
    for (const [e, id] of started) await e.cli(["rm", "-f", id]).catch(() => {});
    for (const e of engines) await e.stop().catch(() => {});
    await d.stop();
    for (const dir of cgroups) {
      try {
        rmdirSync(dir);
      } catch {} // already gone
    }
    rmSync(tmp, { recursive: true, force: true });
    await scratch.release();
  }
}

if (import.meta.main) console.log(await run());
