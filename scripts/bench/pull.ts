// Pulling a ~700 MB, 5-layer image from a local registry (Debian's
// docker-registry on loopback): berth through its CLI and daemon, against
// dockerd and podman where installed, and the floor — `skopeo copy`, which
// only downloads and verifies. The image is made here by umoci from
// generated files (cached under /var/tmp), never by berth.
import { $ } from "bun";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDockerRegistry, toolsMissing } from "../../tests/registry/helpers.ts";
import { berthCmd } from "../../tests/fixtures/daemon.ts";
import { scratchFs } from "./_scratch-fs.ts";
import { coldWanted, coolHost, freshPageCostUs, pageReporting } from "./_cold-host.ts";
import { interleaved, median } from "./_rounds.ts";
import { formatUsage, medianUsage, minus, subreaper, treeUsage, waitedChildren, type Usage } from "./_usage.ts";

const TOTAL_MB = Number(process.env.BERTH_BENCH_PULL_MB) || 700;
const RUNS = Number(process.env.BENCH_ROUNDS) || Number(process.env.BERTH_BENCH_PULL_RUNS) || 5;
const LAYERS = 5;
/** Contenders to run (comma-separated names), for measuring one change quickly; all by default. */
const ONLY = process.env.BERTH_BENCH_PULL_ONLY?.split(",");

/** Files for one layer: half random bytes (as binaries compress), half text (as configs and sources do). */
function fillLayer(dir: string, mb: number, seed: number): void {
  const words = ["container", "layer", "registry", "manifest", "digest", "berth", "config", "runtime", "volume", "network"];
  let made = 0;
  for (let i = 0; made < mb << 20; i++) {
    const sub = join(dir, `usr/share/l${seed}/d${i % 50}`);
    mkdirSync(sub, { recursive: true });
    const size = 8192 + ((i * 7919) % (512 << 10));
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = new Uint8Array(size);
      for (let off = 0; off < size; off += 65536) crypto.getRandomValues(bytes.subarray(off, Math.min(size, off + 65536)));
    } else {
      const line = Array.from({ length: 12 }, (_, k) => words[(i + k * seed) % words.length]).join(" ") + "\n";
      bytes = new TextEncoder().encode(line.repeat(Math.ceil(size / line.length)).slice(0, size));
    }
    writeFileSync(join(sub, `f${i}`), bytes);
    made += size;
  }
}

/** The OCI layout with the bench image, built once per size and kept. */
async function benchImage(): Promise<string> {
  const layout = `/var/tmp/berth-bench-pull-${TOTAL_MB}`;
  if (existsSync(join(layout, "ready"))) return layout;
  rmSync(layout, { recursive: true, force: true });
  const work = mkdtempSync("/var/tmp/berth-bench-pull-work-");
  try {
    await $`umoci init --layout ${layout}`.quiet();
    await $`umoci new --image ${layout}:bench`.quiet();
    for (let l = 0; l < LAYERS; l++) {
      const dir = join(work, `layer${l}`);
      fillLayer(dir, TOTAL_MB / LAYERS, l + 1);
      await $`umoci insert --image ${layout}:bench ${dir} /`.quiet();
      rmSync(dir, { recursive: true, force: true });
    }
    await $`umoci config --image ${layout}:bench --config.cmd /bin/sh --architecture ${process.arch === "arm64" ? "arm64" : "amd64"} --os linux`.quiet();
    writeFileSync(join(layout, "ready"), "");
    return layout;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One pull: its time, and the faults and CPU of the engine's processes and of the client's. */
interface Sample {
  s: number;
  engine: Usage;
  /** The CLI that asked (none for the floors, whose whole cost is `engine`). */
  client?: Usage;
}

/** `fn` timed, with the cost to the processes under `roots` (this process's waited children when none). */
async function timed(fn: () => Promise<void>, roots?: number[]): Promise<Sample> {
  const engine = roots ? () => treeUsage(roots) : waitedChildren;
  const e0 = engine();
  const c0 = waitedChildren();
  const t = performance.now();
  await fn();
  const s = (performance.now() - t) / 1000;
  const [e1, c1] = [engine(), waitedChildren()];
  return roots ? { s, engine: minus(e1, e0), client: minus(c1, c0) } : { s, engine: minus(e1, e0) };
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what} did not come up`);
    await Bun.sleep(100);
  }
}

const pingUnix = (sock: string) => () => fetch("http://localhost/_ping", { unix: sock } as RequestInit).then((r) => r.ok, () => false);

/** One pull, timed: a contender of one round, storage under `dir`, left there until the end. */
type Once = (dir: string) => Promise<Sample>;

/** A cold berth pull (CLI → daemon) on fresh storage. */
const berthPull = (ref: string): Once => async (dir) => {
  const sock = join(dir, "b.sock");
  const d = Bun.spawn([...berthCmd, "daemon", "--bridge", "none", "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"), "-H", `unix://${sock}`], { stdout: "ignore", stderr: "ignore" });
  try {
    await waitFor(pingUnix(sock), "berth daemon");
    return await timed(async () => {
      const p = Bun.spawn([...berthCmd, "-H", `unix://${sock}`, "pull", "-q", ref], { stdout: "ignore", stderr: "pipe" });
      if ((await p.exited) !== 0) throw new Error(`berth pull failed: ${await new Response(p.stderr).text()}`);
    }, [d.pid]);
  } finally {
    d.kill("SIGTERM");
    await d.exited;
  }
};

const dockerdPull = (ref: string, registryHost: string): Once => async (dir) => {
  const docker = existsSync("/usr/local/bin/docker") ? "/usr/local/bin/docker" : "docker";
  const sock = join(dir, "docker.sock");
  // Under a subreaper, so that containerd's shims count (none in a pull, but the same tree as the run benchmark's).
  // --ip-forward=false: dockerd would turn on the host's forwarding, which every network namespace made after inherits (berth's network tests among them).
  const d = Bun.spawn([...subreaper(["dockerd"]).cmd, "--data-root", join(dir, "root"), "--exec-root", join(dir, "exec"), "-H", `unix://${sock}`,
    "--pidfile", join(dir, "docker.pid"), "--iptables=false", "--ip-forward=false", "--bridge=none", "--insecure-registry", registryHost], { stdout: "ignore", stderr: Bun.file(join(dir, "dockerd.log")) });
  try {
    await waitFor(pingUnix(sock), "dockerd");
    return await timed(async () => {
      const p = Bun.spawn([docker, "-H", `unix://${sock}`, "pull", "-q", ref], { stdout: "ignore", stderr: "pipe" });
      if ((await p.exited) !== 0) throw new Error(`docker pull failed: ${await new Response(p.stderr).text()}`);
    }, [d.pid]);
  } finally {
    d.kill("SIGTERM");
    await d.exited;
  }
};

const podmanPull = (ref: string): Once => (dir) =>
  timed(async () => {
    const p = Bun.spawn(["podman", "--root", join(dir, "root"), "--runroot", join(dir, "run"), "--cgroup-manager", "cgroupfs", "--events-backend", "file",
      "pull", "-q", "--tls-verify=false", ref], { stdout: "ignore", stderr: "pipe" });
    if ((await p.exited) !== 0) throw new Error(`podman pull failed: ${await new Response(p.stderr).text()}`);
  });

/**
 * The disk's part: GNU tar unpacking the same five gzip blobs side by side
 * (no network, no hashing). umoci's layers end without tar's two zero
 * blocks, which GNU tar reports after extracting everything; its exit
 * status is therefore not checked.
 */
async function layerBlobs(layout: string): Promise<string[]> {
  const index = JSON.parse(await Bun.file(join(layout, "index.json")).text());
  const manifest = JSON.parse(await Bun.file(join(layout, "blobs", index.manifests[0].digest.replace(":", "/"))).text());
  return manifest.layers.map((l: { digest: string }) => join(layout, "blobs", l.digest.replace(":", "/")));
}

const tarFloor = (blobs: string[]): Once => (dir) =>
  timed(async () => {
    await Promise.all(blobs.map(async (b, n) => {
      mkdirSync(join(dir, String(n)), { recursive: true });
      await Bun.spawn(["tar", "-C", join(dir, String(n)), "-xzf", b], { stdout: "ignore", stderr: "ignore" }).exited;
    }));
  });

const skopeoFloor = (ref: string): Once => (dir) =>
  timed(() => $`skopeo copy --quiet --src-tls-verify=false docker://${ref} oci:${join(dir, "layout")}:t`.quiet().then(() => {}));

/** Every contender once per round (see _rounds.ts), each on storage of its own, with `settle` before it; nothing is deleted until the end (a delete slows the file creation that follows it). */
async function pullRounds(contenders: [string, Once][], tmp: string, settle: () => Promise<void>): Promise<Map<string, Sample[]>> {
  const samples = new Map<string, Sample[]>(contenders.map(([name]) => [name, []]));
  await interleaved(contenders, RUNS, async ([name, once], round) => {
    const dir = join(tmp, `${name}-${round}`);
    mkdirSync(dir, { recursive: true });
    await settle();
    const sample = await once(dir);
    samples.get(name)!.push(sample);
    return sample.s;
  });
  return samples;
}

/**
 * The same start for every pull: the previous one's data written out and
 * dropped from the page cache, then the sources read back in (the registry's
 * blobs, the layout's for tar). Without it, a pull paid for the writeback of
 * the one before, and on this VM for first touches of memory the host had not
 * backed yet: the second of two identical pulls took up to twice as long.
 * With BENCH_COLD=1 the host is also cooled as after a boot (_cold-host.ts).
 */
async function settleCaches(sources: string[]): Promise<{ settle: () => Promise<void>; note: string }> {
  const canDrop = (await $`sync && echo 3 > /proc/sys/vm/drop_caches`.nothrow().quiet()).exitCode === 0;
  const readBack = () => $`find ${sources} -type f -exec cat {} + > /dev/null`.quiet();
  if (!canDrop) {
    return { note: "the page cache could not be dropped (not root?): pulls follow each other's writeback", settle: () => $`sync`.quiet().then(() => {}) };
  }
  if (coldWanted) {
    return {
      note: "before each pull the host is cooled as after a boot (BENCH_COLD=1, below), and the sources read back in",
      async settle() {
        await coolHost();
        await readBack();
      },
    };
  }
  return {
    note: "before each pull the page cache is synced and dropped, and the sources read back in",
    async settle() {
      await $`sync && echo 3 > /proc/sys/vm/drop_caches`.quiet();
      await readBack();
    },
  };
}

/** What BENCH_COLD=1 did and did not reproduce of a freshly booted host, with the first-touch cost it left. */
async function coldNote(): Promise<string> {
  const reporting = pageReporting();
  let cooled: number | undefined;
  if (coldWanted) cooled = await coolHost();
  const cost = await freshPageCostUs();
  const touch = `a first touch of a fresh 4 KiB page cost ${cost.toFixed(1)} µs here${coldWanted ? " right after cooling" : ""} (64 MiB touched page by page)`;
  if (!coldWanted) return `Host: ${touch}. \`BENCH_COLD=1\` cools the host before each pull, as after a boot (see scripts/bench/_cold-host.ts).`;
  const how = reporting
    ? `this guest reports free memory to its host in blocks of ${4 << reporting.order} KiB (virtio-balloon free page reporting${cooled !== undefined ? `; ${cooled.toFixed(0)} MiB handed back after one cooling` : ""}), so once cooled its free memory must be backed by the host again at first touch, as after a boot`
    : "this guest does not report free memory to its host, so the cooling only empties the caches: memory the host already backs stays backed, unlike after a boot";
  return [
    `Cold host (BENCH_COLD=1): before each pull the page, dentry and inode caches are synced and dropped, free memory compacted (\`/proc/sys/vm/compact_memory\`) and the free page reporting waited for until it settles; ${how}; ${touch}.`,
    "What it does not reproduce: the host's own caches (its copy of the disk image stays warm), the kernel's own state after a boot (its slab caches start empty, where the drop only shrinks them), and daemons that have served nothing since the boot (each contender starts afresh for every pull here, in either mode). It empties the page cache of everything else on the machine, which is why it is only done on request.",
  ].join(" ");
}

export async function run(): Promise<string> {
  const missing = toolsMissing();
  if (missing) return `### pull\n\nnot run: ${missing}\n`;
  const layout = await benchImage();
  // Room for every round of every contender, kept until the end.
  const scratch = await scratchFs("pull", Math.ceil((TOTAL_MB * 5 * RUNS) / 1024) + 4);
  const tmp = scratch.dir;
  const registry = await startDockerRegistry(join(tmp, "registry"));
  try {
    const ref = `${registry.host}/bench/image:v1`;
    await $`skopeo copy --quiet --dest-tls-verify=false oci:${layout}:bench docker://${ref}`.quiet();
    const all: [string, Once][] = [
      ["berth", berthPull(ref)],
      ["skopeo", skopeoFloor(ref)],
      ["tar", tarFloor(await layerBlobs(layout))],
    ];
    if (Bun.which("dockerd")) all.push(["dockerd", dockerdPull(ref, registry.host)]);
    if (Bun.which("podman")) all.push(["podman", podmanPull(ref)]);
    const contenders = all.filter(([name]) => !ONLY || ONLY.includes(name));
    const caches = await settleCaches([join(tmp, "registry"), join(layout, "blobs")]);
    const host = await coldNote();
    const samples = await pullRounds(contenders, tmp, caches.settle);
    const med = (name: string) => (samples.has(name) ? median(samples.get(name)!.map((x) => x.s)) : undefined);
    const berth = med("berth") ?? NaN;
    const cell = (name: string) => (med(name) === undefined ? "not installed" : `${med(name)!.toFixed(2)} s`);
    const ratio = (name: string) => (med(name) === undefined ? "—" : `${(berth / med(name)!).toFixed(2)}×`);
    const cost = (name: string, part: "engine" | "client") => {
      const xs = samples.get(name)?.map((x) => x[part]).filter((u): u is Usage => u !== undefined);
      return formatUsage(xs?.length ? medianUsage(xs) : undefined);
    };
    const costs = (name: string) => `${cost(name, "engine")} | ${cost(name, "client")}`;
    const size = (await $`du -sm ${layout}/blobs`.quiet()).stdout.toString().split("\t")[0];
    return [
      "### pull",
      "",
      `A ${LAYERS}-layer image of ${TOTAL_MB} MB of files (${size} MB of gzip blobs; half random, half text), built by umoci, served by docker-registry on loopback. Cold pulls on fresh storage, median of ${RUNS} rounds; each round runs every contender once, in a turning order; ${scratch.note}; ${caches.note}. Each pull ends when the image is unpacked and tagged.`,
      "",
      "| what | time | berth ÷ it | engine: minor faults, CPU | client: minor faults, CPU |",
      "|---|---:|---:|---:|---:|",
      `| \`berth pull\` (CLI → daemon, layers applied while downloading) | ${berth.toFixed(2)} s | 1.00× | ${costs("berth")} |`,
      `| \`docker pull\` (dockerd 20.10) | ${cell("dockerd")} | ${ratio("dockerd")} | ${costs("dockerd")} |`,
      `| \`podman pull\` | ${cell("podman")} | ${ratio("podman")} | ${costs("podman")} |`,
      `| \`skopeo copy\` to an OCI layout (download and verify only: the network floor) | ${cell("skopeo")} | ${ratio("skopeo")} | ${costs("skopeo")} |`,
      `| 5 × \`tar -xzf\` of the same blobs side by side (unpack only: the disk floor) | ${cell("tar")} | ${ratio("tar")} | ${costs("tar")} |`,
      "",
      `Faults and CPU (medians per pull; see scripts/bench/_usage.ts) carry across hosts where times do not. The engine is the daemon with every process under it over the pull: berth's daemon and its apply processes; dockerd${subreaper([]).reaped ? " under a subreaper (tini -s)" : ""} with its containerd and the untar and unpigz processes it runs; podman's and the floors' own processes. The client is the CLI that asked. CPU comes in 10 ms ticks.`,
      "",
      host,
      "",
      "Targets (the registries issue and issue 18): berth ≤ 0.4× docker's time and ≤ 1.2× the unpack floor, on a freshly booted host; fewer minor faults than dockerd + containerd for the same image.",
      "",
    ].join("\n");
  } finally {
    await registry.stop();
    await scratch.release();
  }
}

if (import.meta.main) console.log(await run());
