// The seccomp filter's cost on a syscall-heavy program: a static C loop of
// 1,000,000 getppid() run in a container under the default profile and with
// `--security-opt seccomp=unconfined`, in berth and in dockerd (its runc with
// libseccomp's filter) in the same rounds. The program times its own loop, so
// the figure is the calls' cost without the container's start; the whole
// `run` is timed too.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, startDaemon } from "../../tests/fixtures/daemon.ts";
import { interleaved, median, timed } from "./_rounds.ts";
import { must, startDockerd, type Engine } from "./_engines.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS) || 5;
const CALLS = 1_000_000;

const loopSource = `
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : ${CALLS};
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) syscall(SYS_getppid); /* the raw call: no libc caching */
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%ld\\n", (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec));
  return 0;
}
`;

/** busybox-static's rootfs with the loop program at /getppid-loop, as a tar to import. */
function imageTar(tmp: string): string {
  busyboxRootfsTar(tmp);
  const rootfs = join(tmp, "busybox-rootfs");
  writeFileSync(join(tmp, "loop.c"), loopSource);
  const cc = Bun.spawnSync(["gcc", "-static", "-O2", "-o", join(rootfs, "getppid-loop"), join(tmp, "loop.c")]);
  if (cc.exitCode !== 0) throw new Error(`cannot build the loop program: ${cc.stderr.toString()}`);
  const tar = join(tmp, "seccomp-bench.tar");
  if (Bun.spawnSync(["tar", "-C", rootfs, "-cf", tar, "."]).exitCode !== 0) throw new Error("cannot pack the image");
  return tar;
}

interface Contender {
  engine: Engine;
  profile: "default" | "unconfined";
  loopNs: number[];
}

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
    const contenders: Contender[] = engines.flatMap((engine) => (["default", "unconfined"] as const).map((profile) => ({ engine, profile, loopNs: [] })));
    const run = (c: Contender, ...cmd: string[]) =>
      must(c.engine, ["run", "--rm", "--network", "none", ...(c.profile === "unconfined" ? ["--security-opt", "seccomp=unconfined"] : []), ...c.engine.runFlags, "busybox", ...cmd]);
    // Each once before measuring: caches warm, and the filter really is (or is not) there.
    for (const c of contenders) {
      const seccomp = await run(c, "grep", "^Seccomp:", "/proc/self/status");
      const want = c.profile === "default" ? "2" : "0";
      if (!seccomp.endsWith(want)) throw new Error(`${c.engine.name} ${c.profile}: ${seccomp} (want Seccomp: ${want})`);
    }
    const runs = await interleaved(contenders, ROUNDS, (c) => timed(async () => c.loopNs.push(Number(await run(c, "/getppid-loop", String(CALLS))))));

    const ms = (ns: number) => (ns / 1e6).toFixed(1);
    const perCall = (c: Contender) => median(c.loopNs) / CALLS;
    const find = (name: string, profile: Contender["profile"]) => contenders.findIndex((c) => c.engine.name === name && c.profile === profile);
    const overhead = (name: string) => {
      const [on, off] = [find(name, "default"), find(name, "unconfined")];
      return on < 0 ? undefined : perCall(contenders[on]!) - perCall(contenders[off]!);
    };
    const rows = contenders.map((c, i) =>
      `| ${c.engine.name} | ${c.profile} | ${ms(median(c.loopNs))} ms | ${perCall(c).toFixed(1)} ns | ${median(runs[i]!).toFixed(0)} ms |`);
    const [ob, od] = [overhead("berth")!, overhead("dockerd")];
    const verdict = od === undefined
      ? `dockerd ${typeof dockerd === "string" ? dockerd : "not measured"}: no comparison.`
      : `The filter's cost per call: berth ${ob.toFixed(1)} ns, dockerd ${od.toFixed(1)} ns; target berth ≤ dockerd: ${ob <= od ? "met" : "not met"}.`;
    return [
      "### seccomp",
      "",
      `A static C program calls getppid() ${CALLS.toLocaleString("en")} times through syscall(2) and times its own loop (CLOCK_MONOTONIC), in a busybox-static image; \`run --rm --network none\` under each engine's default seccomp profile and with \`--security-opt seccomp=unconfined\`; the four contenders in rounds that visit each in a turning order, median of ${ROUNDS}. The loop's time is the calls alone; the run's is the whole CLI command. berth's filter is its own BPF compiler's (a binary search over call-number ranges); dockerd's is runc's through libseccomp. Since Linux 5.11 the kernel caches an allow that depends on the call number only, so both filters may cost next to nothing on this call; the figure is what is left.`,
      "",
      "| engine | profile | 1,000,000 getppid | per call | whole `run` |",
      "|---|---|---:|---:|---:|",
      ...rows,
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
