// The seccomp filter's cost on a syscall-heavy program: a static C loop of
// 10,000,000 getppid() (scripts/bench/getppid-loop.c) run in a container
// under the default profile and with `--security-opt seccomp=unconfined`, in
// berth and in dockerd (its runc with libseccomp's filter) in the same
// rounds. The program reads its own CPU time around the loop: at ~1 µs a call
// on a shared VM, a million calls timed by the wall clock left the filter's
// cost (tens of ns) inside the noise. Each round's overhead is that round's
// default minus its unconfined run of the same engine, so a slow spell
// falls on both halves of a difference.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, startDaemon } from "../../tests/fixtures/daemon.ts";
import { interleaved, median } from "./_rounds.ts";
import { must, startDockerd, type Engine } from "./_engines.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS) || 5;
const CALLS = 10_000_000;
const here = import.meta.dir;

/** busybox-static's rootfs with the loop program at /getppid-loop, as a tar to import. */
function imageTar(tmp: string): string {
  busyboxRootfsTar(tmp);
  const rootfs = join(tmp, "busybox-rootfs");
  const cc = Bun.spawnSync(["gcc", "-static", "-O2", "-o", join(rootfs, "getppid-loop"), join(here, "getppid-loop.c")]);
  if (cc.exitCode !== 0) throw new Error(`cannot build the loop program: ${cc.stderr.toString()}`);
  const tar = join(tmp, "seccomp-bench.tar");
  if (Bun.spawnSync(["tar", "-C", rootfs, "-cf", tar, "."]).exitCode !== 0) throw new Error("cannot pack the image");
  return tar;
}

interface Contender {
  engine: Engine;
  profile: "default" | "unconfined";
  /** Per round: the loop's CPU and wall time per call, in ns. */
  cpu: number[];
  wall: number[];
}

const ns = (x: number) => `${x.toFixed(1)} ns`;
const spread = (xs: number[]) => `${ns(Math.min(...xs))} … ${ns(Math.max(...xs))}`;

export async function run(): Promise<string> {
  const tmp = mkdtempSync("/tmp/berth-bench-seccomp-");
  const d = await startDaemon();
  let dockerd: Engine | string = "not started";
  try {
    const tar = imageTar(tmp);
    const berth: Engine = { name: "berth", cli: (a) => d.cli(a), runFlags: [], stop: async () => {} };
    await must(berth, ["import", tar, "busybox"]);
    dockerd = await startDockerd(tmp, tar);
    const engines = [berth, ...(typeof dockerd === "string" ? [] : [dockerd])];
    const contenders: Contender[] = engines.flatMap((engine) => (["default", "unconfined"] as const).map((profile) => ({ engine, profile, cpu: [], wall: [] })));
    const run = (c: Contender, ...cmd: string[]) =>
      must(c.engine, ["run", "--rm", "--network", "none", ...(c.profile === "unconfined" ? ["--security-opt", "seccomp=unconfined"] : []), ...c.engine.runFlags, "busybox", ...cmd]);
    // Each once before measuring: caches warm, and the filter really is (or is not) there.
    for (const c of contenders) {
      const seccomp = await run(c, "grep", "^Seccomp:", "/proc/self/status");
      const want = c.profile === "default" ? "2" : "0";
      if (!seccomp.endsWith(want)) throw new Error(`${c.engine.name} ${c.profile}: ${seccomp} (want Seccomp: ${want})`);
    }
    await interleaved(contenders, ROUNDS, async (c) => {
      const [wall, cpu] = (await run(c, "/getppid-loop", String(CALLS))).split(/\s+/).map(Number);
      if (!(wall! > 0 && cpu! > 0)) throw new Error(`${c.engine.name} ${c.profile}: the loop printed no times`);
      c.wall.push(wall! / CALLS);
      c.cpu.push(cpu! / CALLS);
      return cpu!;
    });

    const find = (name: string, profile: Contender["profile"]) => contenders.find((c) => c.engine.name === name && c.profile === profile);
    /** The engine's filter cost per call in each round: CPU per call with its default profile minus unconfined. */
    const overheads = (name: string) => {
      const [on, off] = [find(name, "default"), find(name, "unconfined")];
      return on && off ? on.cpu.map((x, r) => x - off.cpu[r]!) : undefined;
    };
    const rows = contenders.map((c) => `| ${c.engine.name} | ${c.profile} | ${ns(median(c.cpu))} | ${spread(c.cpu)} | ${ns(median(c.wall))} |`);
    const ob = overheads("berth")!, od = overheads("dockerd");
    const overheadRows = [["berth", ob], ["dockerd", od]].filter((x): x is [string, number[]] => x[1] !== undefined)
      .map(([name, xs]) => `| ${name} | ${ns(median(xs))} | ${spread(xs)} |`);
    const verdict = od === undefined
      ? `dockerd ${typeof dockerd === "string" ? dockerd : "not measured"}: no comparison.`
      : `Target: berth's overhead ≤ dockerd's: ${median(ob) <= median(od) ? "met" : "not met"} (${ns(median(ob))} against ${ns(median(od))}).`;
    return [
      "### seccomp",
      "",
      `A static C program (scripts/bench/getppid-loop.c) calls getppid() ${CALLS.toLocaleString("en")} times through syscall(2) and reads its own CPU time (CLOCK_PROCESS_CPUTIME_ID) and the wall clock around the loop, in a busybox-static image; \`run --rm --network none\` under each engine's default seccomp profile and with \`--security-opt seccomp=unconfined\`. ${ROUNDS} rounds, each visiting the four contenders in a turning order. The filter's overhead is, per round, the CPU per call under the default profile minus the same engine's unconfined one; the table gives the median of the rounds and their range. berth's filter is its own BPF compiler's: a binary search over call-number ranges (getppid is decided in 14 instructions, no call in more than 20: tests/security/seccomp-filter.test.ts); dockerd's is runc's through libseccomp. Since Linux 5.11 the kernel caches an allow that depends on the call number only, so neither program runs for getppid: what is left is seccomp's entry path, which is the same for both.`,
      "",
      "| engine | profile | CPU per call (median) | range over rounds | wall per call (median) |",
      "|---|---|---:|---:|---:|",
      ...rows,
      "",
      "| engine | filter overhead per call (median) | range over rounds |",
      "|---|---:|---:|",
      ...overheadRows,
      "",
      verdict,
      "",
    ].join("\n");
  } finally {
    if (typeof dockerd !== "string") await dockerd.stop().catch(() => {});
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await run());
