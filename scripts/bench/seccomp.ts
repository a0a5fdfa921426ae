// The seccomp filter's cost on a syscall-heavy program, in berth and in
// dockerd (its runc with libseccomp's filter) in the same rounds. A static C
// program (scripts/bench/seccomp-loop.c) makes two kinds of call in batches,
// each timed by its own CPU clock, pinned to one CPU: getppid, whose allow
// the kernel caches (Linux 5.11+: no filter runs for it), and
// personality(0xffffffff), whose rules compare an argument, so that every
// call runs the whole filter. Each engine runs it under its default profile
// and with seccomp=unconfined; a run's figure is its fastest batch (the floor
// that other processes' load can only raise), and a round's overhead is the
// default's minus the same engine's unconfined. Beside the times, both
// filters are read back from the kernel (scripts/bench/seccomp-dump.c) and run
// on each call in an interpreter: how many BPF instructions each executes,
// which no load moves.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, startDaemon } from "../../tests/fixtures/daemon.ts";
import { runSeccompBpf } from "../../tests/fixtures/classic-bpf.ts";
import { interleaved, median } from "./_rounds.ts";
import { must, startDockerd, type Engine } from "./_engines.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS) || 9;
/** Calls per batch and batches per run: ~3 s of calls per run at ~1.2 µs a call. */
const CALLS = 200_000;
const BATCHES = 6;
const here = import.meta.dir;

/** The calls the loop makes and a few more, by architecture: [AUDIT_ARCH, { name: [nr, args] }]. */
const CALLS_BY_ARCH: Record<string, [number, Record<string, [number, bigint[]]>]> = {
  x64: [0xc000003e, { getppid: [110, []], "personality(0xffffffff)": [135, [0xffffffffn]], read: [0, []], "socket(AF_INET)": [41, [2n]], "clone(SIGCHLD)": [56, [17n]] }],
  arm64: [0xc00000b7, { getppid: [173, []], "personality(0xffffffff)": [92, [0xffffffffn]], read: [63, []], "socket(AF_INET)": [198, [2n]], "clone(SIGCHLD)": [220, [17n]] }],
};
const LOOP_CALLS = ["getppid", "personality(0xffffffff)"] as const;

function build(src: string, out: string): void {
  const cc = Bun.spawnSync(["gcc", "-static", "-O2", "-o", out, join(here, src)]);
  if (cc.exitCode !== 0) throw new Error(`cannot build ${src}: ${cc.stderr.toString()}`);
}

/** busybox-static's rootfs with the loop program at /seccomp-loop, as a tar to import. */
function imageTar(tmp: string): string {
  busyboxRootfsTar(tmp);
  const rootfs = join(tmp, "busybox-rootfs");
  build("seccomp-loop.c", join(rootfs, "seccomp-loop"));
  const tar = join(tmp, "seccomp-bench.tar");
  if (Bun.spawnSync(["tar", "-C", rootfs, "-cf", tar, "."]).exitCode !== 0) throw new Error("cannot pack the image");
  return tar;
}

interface Contender {
  engine: Engine;
  profile: "default" | "unconfined";
  /** Per round and call: the run's fastest batch, CPU ns per call. */
  perCall: Record<(typeof LOOP_CALLS)[number], number[]>;
}

const ns = (x: number) => `${x.toFixed(1)} ns`;
const spread = (xs: number[]) => `${ns(Math.min(...xs))} … ${ns(Math.max(...xs))}`;

/** The default profile's filter as the kernel holds it for a container of `engine`, run on each call: instructions executed. */
async function filterWalk(engine: Engine, dump: string, arch: number, calls: Record<string, [number, bigint[]]>): Promise<{ length: number; executed: Record<string, number> }> {
  const id = await must(engine, ["run", "-d", "--network", "none", ...engine.runFlags, "busybox", "sleep", "600"]);
  try {
    const pid = await must(engine, ["inspect", "-f", "{{.State.Pid}}", id]);
    const out = Bun.spawnSync([dump, pid]);
    if (out.exitCode !== 0) throw new Error(`reading ${engine.name}'s filter: ${out.stderr.toString()}`);
    const prog = new Uint8Array(out.stdout);
    const executed: Record<string, number> = {};
    for (const [name, [nr, args]] of Object.entries(calls)) {
      const r = runSeccompBpf(prog, arch, nr, args);
      if (r.ret !== 0x7fff0000) throw new Error(`${engine.name}'s filter does not allow ${name} (0x${r.ret.toString(16)})`);
      executed[name] = r.executed;
    }
    return { length: prog.length / 8, executed };
  } finally {
    await engine.cli(["rm", "-f", id]);
  }
}

/**
 * met when berth's overhead is the lower in the median of the rounds' differences; where it is not
 * but berth was the lower in a third of the rounds or more, the two are within the noise (as on
 * getppid, where neither filter runs); otherwise not met.
 */
function verdict(berth: number[], dockerd: number[]): string {
  const diffs = berth.map((x, r) => x - dockerd[r]!);
  const lower = diffs.filter((x) => x <= 0).length;
  if (median(diffs) <= 0) return "met";
  return lower * 3 >= diffs.length ? `within the noise (berth's the lower in ${lower} of ${diffs.length} rounds)` : "not met";
}

export async function run(): Promise<string> {
  const archCalls = CALLS_BY_ARCH[process.arch];
  if (!archCalls) throw new Error(`the seccomp bench knows no call numbers for ${process.arch}`);
  const [auditArch, calls] = archCalls;
  const tmp = mkdtempSync("/tmp/berth-bench-seccomp-");
  const d = await startDaemon();
  let dockerd: Engine | string = "not started";
  try {
    const tar = imageTar(tmp);
    const dump = join(tmp, "seccomp-dump");
    build("seccomp-dump.c", dump);
    const berth: Engine = { name: "berth", cli: (a) => d.cli(a), runFlags: [], stop: async () => {} };
    await must(berth, ["import", tar, "busybox"]);
    dockerd = await startDockerd(tmp, tar);
    const engines = [berth, ...(typeof dockerd === "string" ? [] : [dockerd])];
    const contenders: Contender[] = engines.flatMap((engine) =>
      (["default", "unconfined"] as const).map((profile) => ({ engine, profile, perCall: { getppid: [], "personality(0xffffffff)": [] } })));
    const run = (c: Contender, ...cmd: string[]) =>
      must(c.engine, ["run", "--rm", "--network", "none", ...(c.profile === "unconfined" ? ["--security-opt", "seccomp=unconfined"] : []), ...c.engine.runFlags, "busybox", ...cmd]);
    // Each once before measuring: caches warm, and the filter really is (or is not) there.
    for (const c of contenders) {
      const seccomp = await run(c, "grep", "^Seccomp:", "/proc/self/status");
      const want = c.profile === "default" ? "2" : "0";
      if (!seccomp.endsWith(want)) throw new Error(`${c.engine.name} ${c.profile}: ${seccomp} (want Seccomp: ${want})`);
    }
    const walks = await Promise.all(engines.map(async (e) => [e.name, await filterWalk(e, dump, auditArch, calls)] as const));
    await interleaved(contenders, ROUNDS, async (c) => {
      const out = await run(c, "/seccomp-loop", String(CALLS), String(BATCHES));
      for (const [i, name] of LOOP_CALLS.entries()) {
        const batches = (out.split("\n")[i] ?? "").trim().split(/\s+/).slice(1).map(Number);
        if (batches.length !== BATCHES || !batches.every((b) => b > 0)) throw new Error(`${c.engine.name} ${c.profile}: the loop printed ${JSON.stringify(out)}`);
        c.perCall[name].push(Math.min(...batches) / CALLS);
      }
    });

    const find = (name: string, profile: Contender["profile"]) => contenders.find((c) => c.engine.name === name && c.profile === profile);
    /** The engine's filter cost per call in each round: its default profile's CPU per call minus its unconfined one. */
    const overheads = (name: string, call: (typeof LOOP_CALLS)[number]) => {
      const [on, off] = [find(name, "default"), find(name, "unconfined")];
      return on && off ? on.perCall[call].map((x, r) => x - off.perCall[call][r]!) : undefined;
    };
    const timeRows = LOOP_CALLS.flatMap((call) => contenders.map((c) => `| ${call} | ${c.engine.name} | ${c.profile} | ${ns(median(c.perCall[call]))} | ${spread(c.perCall[call])} |`));
    const overheadRows: string[] = [];
    const verdicts: string[] = [];
    for (const call of LOOP_CALLS) {
      const ob = overheads("berth", call)!, od = overheads("dockerd", call);
      overheadRows.push(`| ${call} | ${ns(median(ob))} (${spread(ob)}) | ${od ? `${ns(median(od))} (${spread(od)})` : "—"} | ${od ? `${ns(median(ob.map((x, r) => x - od[r]!)))}, lower in ${ob.filter((x, r) => x <= od[r]!).length} of ${ROUNDS}` : "—"} |`);
      if (od) verdicts.push(`${call}: ${verdict(ob, od)} (${ns(median(ob))} against ${ns(median(od))}).`);
    }
    const names = Object.keys(calls);
    const walkRows = walks.map(([name, w]) => `| ${name} | ${w.length} | ${names.map((n) => w.executed[n]).join(" | ")} |`);
    return [
      "### seccomp",
      "",
      `A static C program (scripts/bench/seccomp-loop.c), pinned to the CPU it starts on, makes ${BATCHES} batches of ${CALLS.toLocaleString("en")} getppid() and ${CALLS.toLocaleString("en")} personality(0xffffffff) calls through syscall(2), timing each batch by its own CPU clock (CLOCK_PROCESS_CPUTIME_ID); \`run --rm --network none\` of a busybox-static image under each engine's default seccomp profile and with \`--security-opt seccomp=unconfined\`, ${ROUNDS} rounds, each visiting the four contenders in a turning order. A run's figure is its fastest batch (other processes' load can only slow a batch); an engine's filter overhead is, per round, its default profile's figure minus its unconfined one. getppid's allow depends on the call number only, so since Linux 5.11 the kernel caches it and neither engine's filter runs for it: what is left there is seccomp's entry path. personality's rules compare the argument (Docker's profile allows five values), so every such call runs the whole filter: there the filters themselves are compared.`,
      "",
      "| call | engine | profile | CPU per call (median of rounds) | range over rounds |",
      "|---|---|---|---:|---:|",
      ...timeRows,
      "",
      "| call | berth's filter overhead (median, range) | dockerd's | berth − dockerd per round (median), rounds where berth's is lower |",
      "|---|---:|---:|---:|",
      ...overheadRows,
      "",
      `BPF instructions each engine's filter executes per call, read back from the kernel for a running container (ptrace PTRACE_SECCOMP_GET_FILTER, scripts/bench/seccomp-dump.c) and run in tests/fixtures/classic-bpf.ts; berth's is its own compiler's binary search over call-number ranges, dockerd's is runc's through libseccomp:`,
      "",
      `| engine | filter length | ${names.join(" | ")} |`,
      `|---|---:|${names.map(() => "---:").join("|")}|`,
      ...walkRows,
      "",
      `Target: berth's overhead ≤ dockerd's. ${verdicts.length ? verdicts.join(" ") : `dockerd ${typeof dockerd === "string" ? dockerd : "not measured"}: no comparison.`}`,
      "",
    ].join("\n");
  } finally {
    if (typeof dockerd !== "string") await dockerd.stop().catch(() => {});
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await run());
