// Compose: `up -d` and `down` of a 10-service project of prebuilt images
// (busybox-static imported into each engine), with `berth compose` against
// berth's daemon and docker-compose 1.29 (Debian's, through the Engine API)
// against dockerd, in interleaved rounds of the same run. Both engines run in
// a network namespace of the benchmark's own, where the project's network is
// made and removed each round.
import { $ } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, busyboxRootfsTar, startDaemon } from "../../tests/fixtures/daemon.ts";
import { startDockerd, type Engine } from "./_engines.ts";
import { interleaved, median, timed } from "./_rounds.ts";
import { scratchFs } from "./_scratch-fs.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS) || 7;
const SERVICES = 10;
const composeBin = "/usr/bin/docker-compose";

/** Ten long-running services on the project's default network; SIGKILL stops them at once, so down measures the engine, not a grace period. */
function projectFile(): string {
  const lines = ["services:"];
  for (let i = 1; i <= SERVICES; i++) {
    lines.push(`  s${i}:`, "    image: busybox", '    command: ["sleep", "100000"]', "    stop_signal: SIGKILL", `    environment: [INDEX=${i}]`);
  }
  return lines.join("\n") + "\n";
}

interface Client {
  name: string;
  /** One compose command against its engine; throws when it fails. */
  compose(args: string[]): Promise<void>;
}

function composeClient(name: string, cmd: string[], cwd: string, env: Record<string, string>): Client {
  return {
    name,
    async compose(args) {
      const p = Bun.spawn([...cmd, ...args], { cwd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
      const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited, new Response(p.stdout).text()]);
      if (code !== 0) throw new Error(`${name} ${args.join(" ")}: ${err.trim().split("\n").pop()}`);
    },
  };
}

export async function run(): Promise<string> {
  const ns = `berth-bench-compose-${process.pid}`;
  await $`ip netns add ${ns}`.quiet();
  await $`ip -n ${ns} link set lo up`.quiet();
  const netns = `/run/netns/${ns}`;
  const scratch = await scratchFs("compose", 4);
  const tmp = mkdtempSync(join(scratch.dir, "compose-"));
  const d = await startDaemon({ parent: scratch.dir, netns });
  let dockerd: Engine | string | undefined;
  try {
    const tar = busyboxRootfsTar(tmp);
    const imported = await d.cli(["import", tar, "busybox"]);
    if (imported.code !== 0) throw new Error(`berth import: ${imported.stderr}`);
    const dir = join(tmp, "project");
    await $`mkdir -p ${dir}`;
    writeFileSync(join(dir, "compose.yaml"), projectFile());
    const clients: Client[] = [composeClient("berth compose", [...berthCmd, "-H", d.host, "compose", "-p", "bench", "-f", "compose.yaml"], dir, {})];
    const peer = !Bun.which(composeBin) ? "docker-compose not installed" : (dockerd = await startDockerd(tmp, tar, { netns }));
    if (typeof peer !== "string") {
      clients.push(composeClient("docker-compose 1.29", [composeBin, "--no-ansi", "-p", "bench", "-f", "compose.yaml"], dir, { DOCKER_HOST: peer.host!, DOCKER_CONFIG: join(tmp, "docker-config") }));
    }
    for (const c of clients) {
      // A first round each, unmeasured: caches warm, the project's network made once before.
      await c.compose(["up", "-d"]);
      await c.compose(["down"]);
    }
    const ups: number[][] = clients.map(() => []);
    const downs: number[][] = clients.map(() => []);
    await interleaved(clients.map((c, i) => ({ c, i })), ROUNDS, async ({ c, i }) => {
      ups[i]!.push(await timed(() => c.compose(["up", "-d"])));
      downs[i]!.push(await timed(() => c.compose(["down"])));
      return 0;
    });
    const ms = (xs: number[]) => `${median(xs).toFixed(0)} ms`;
    const row = (what: string, samples: number[][]) => {
      const peerCell = typeof peer === "string" ? peer : ms(samples[1]!);
      const ratio = typeof peer === "string" ? "—" : `${(median(samples[0]!) / median(samples[1]!)).toFixed(2)}×`;
      return `| ${what} | ${ms(samples[0]!)} | ${peerCell} | ${ratio} |`;
    };
    return [
      "### compose",
      "",
      `\`up -d\` and \`down\` of a project of ${SERVICES} services (each \`busybox sleep\`, its image prebuilt: busybox-static imported into each engine; \`stop_signal: SIGKILL\`, so that down waits on the engine and not on a grace period), on the project's default network. berth compose drives berth's daemon; Debian's docker-compose 1.29 (Python, through the Engine API) drives dockerd. Both engines run side by side in a network namespace of the benchmark's own; ${scratch.note}. Median of ${ROUNDS} rounds after one unmeasured round each; every round does up -d then down for each client, in a turning order. Each figure is the client's whole command, as a user waits for it (docker-compose's own start, about a second of Python, is part of it). The ratio is berth's time ÷ the peer's: below 1 means berth is faster.`,
      "",
      "| what | berth compose → berth | docker-compose 1.29 → dockerd | berth ÷ peer |",
      "|---|---:|---:|---:|",
      row(`\`up -d\` (${SERVICES} services: network, containers, starts)`, ups),
      row("`down` (stop, remove, the network)", downs),
      "",
      "Target from the compose issue: `up -d` ≤ 0.3× docker-compose 1.29 with dockerd.",
      "",
    ].join("\n");
  } finally {
    if (dockerd && typeof dockerd !== "string") await dockerd.stop().catch(() => {});
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
    await scratch.release();
    await $`ip netns del ${ns}`.nothrow().quiet();
  }
}

if (import.meta.main) console.log(await run());
