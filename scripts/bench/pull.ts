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

const TOTAL_MB = Number(process.env.BERTH_BENCH_PULL_MB) || 700;
const RUNS = Number(process.env.BERTH_BENCH_PULL_RUNS) || 3;
const LAYERS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what} did not come up`);
    await Bun.sleep(100);
  }
}

const pingUnix = (sock: string) => () => fetch("http://localhost/_ping", { unix: sock } as RequestInit).then((r) => r.ok, () => false);

/** One cold pull per run, each on fresh storage: berth (CLI → daemon). */
async function berthPulls(ref: string, tmp: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = join(tmp, `berth-${i}`);
    const sock = join(dir, "b.sock");
    mkdirSync(dir, { recursive: true });
    const d = Bun.spawn([...berthCmd, "daemon", "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"), "-H", `unix://${sock}`], { stdout: "ignore", stderr: "ignore" });
    try {
      await waitFor(pingUnix(sock), "berth daemon");
      out.push(await timed(async () => {
        const p = Bun.spawn([...berthCmd, "-H", `unix://${sock}`, "pull", "-q", ref], { stdout: "ignore", stderr: "pipe" });
        if ((await p.exited) !== 0) throw new Error(`berth pull failed: ${await new Response(p.stderr).text()}`);
      }));
    } finally {
      d.kill("SIGTERM");
      await d.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

async function dockerdPulls(ref: string, registryHost: string, tmp: string): Promise<number[] | string> {
  if (!Bun.which("dockerd")) return "not installed";
  const docker = existsSync("/usr/local/bin/docker") ? "/usr/local/bin/docker" : "docker";
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = join(tmp, `dockerd-${i}`);
    const sock = join(dir, "docker.sock");
    mkdirSync(dir, { recursive: true });
    const d = Bun.spawn(["dockerd", "--data-root", join(dir, "root"), "--exec-root", join(dir, "exec"), "-H", `unix://${sock}`,
      "--pidfile", join(dir, "docker.pid"), "--iptables=false", "--bridge=none", "--insecure-registry", registryHost], { stdout: "ignore", stderr: Bun.file(join(tmp, `dockerd-${i}.log`)) });
    try {
      await waitFor(pingUnix(sock), "dockerd");
      out.push(await timed(async () => {
        const p = Bun.spawn([docker, "-H", `unix://${sock}`, "pull", "-q", ref], { stdout: "ignore", stderr: "pipe" });
        if ((await p.exited) !== 0) throw new Error(`docker pull failed: ${await new Response(p.stderr).text()}`);
      }));
    } finally {
      d.kill("SIGTERM");
      await d.exited;
      await $`umount -R ${dir}`.nothrow().quiet();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

async function podmanPulls(ref: string, tmp: string): Promise<number[] | string> {
  if (!Bun.which("podman")) return "not installed";
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = join(tmp, `podman-${i}`);
    mkdirSync(dir, { recursive: true });
    try {
      out.push(await timed(async () => {
        const p = Bun.spawn(["podman", "--root", join(dir, "root"), "--runroot", join(dir, "run"), "--cgroup-manager", "cgroupfs", "--events-backend", "file",
          "pull", "-q", "--tls-verify=false", ref], { stdout: "ignore", stderr: "pipe" });
        if ((await p.exited) !== 0) throw new Error(`podman pull failed: ${await new Response(p.stderr).text()}`);
      }));
    } finally {
      await $`podman --root ${join(dir, "root")} --runroot ${join(dir, "run")} system reset -f`.nothrow().quiet();
      await $`umount -R ${dir}`.nothrow().quiet();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

/**
 * The disk's part: GNU tar unpacking the same five gzip blobs side by side
 * (no network, no hashing). umoci's layers end without tar's two zero
 * blocks, which GNU tar reports after extracting everything; its exit
 * status is therefore not checked.
 */
async function tarFloor(layout: string, tmp: string): Promise<number[]> {
  const index = JSON.parse(await Bun.file(join(layout, "index.json")).text());
  const manifest = JSON.parse(await Bun.file(join(layout, "blobs", index.manifests[0].digest.replace(":", "/"))).text());
  const blobs: string[] = manifest.layers.map((l: { digest: string }) => join(layout, "blobs", l.digest.replace(":", "/")));
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dest = join(tmp, `tar-${i}`);
    out.push(await timed(async () => {
      await Promise.all(blobs.map(async (b, n) => {
        mkdirSync(join(dest, String(n)), { recursive: true });
        await Bun.spawn(["tar", "-C", join(dest, String(n)), "-xzf", b], { stdout: "ignore", stderr: "ignore" }).exited;
      }));
    }));
    rmSync(dest, { recursive: true, force: true });
  }
  return out;
}

async function floorPulls(ref: string, tmp: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dest = join(tmp, `skopeo-${i}`);
    out.push(await timed(() => $`skopeo copy --quiet --src-tls-verify=false docker://${ref} oci:${dest}:t`.quiet().then(() => {})));
    rmSync(dest, { recursive: true, force: true });
  }
  return out;
}

export async function run(): Promise<string> {
  const missing = toolsMissing();
  if (missing) return `### pull\n\nnot run: ${missing}\n`;
  const layout = await benchImage();
  const tmp = mkdtempSync("/var/tmp/berth-bench-pull-run-");
  const registry = await startDockerRegistry(join(tmp, "registry"));
  try {
    const ref = `${registry.host}/bench/image:v1`;
    await $`skopeo copy --quiet --dest-tls-verify=false oci:${layout}:bench docker://${ref}`.quiet();
    const floor = median(await floorPulls(ref, tmp));
    const untar = median(await tarFloor(layout, tmp));
    const berth = median(await berthPulls(ref, tmp));
    const dockerd = await dockerdPulls(ref, registry.host, tmp);
    const podman = await podmanPulls(ref, tmp);
    const cell = (v: number[] | string) => (typeof v === "string" ? v : `${median(v).toFixed(2)} s`);
    const ratio = (v: number[] | string) => (typeof v === "string" ? "—" : `${(berth / median(v)).toFixed(2)}×`);
    const size = (await $`du -sm ${layout}/blobs`.quiet()).stdout.toString().split("\t")[0];
    return [
      "### pull",
      "",
      `A ${LAYERS}-layer image of ${TOTAL_MB} MB of files (${size} MB of gzip blobs; half random, half text), built by umoci, served by docker-registry on loopback. Cold pulls on fresh storage, median of ${RUNS}; each pull ends when the image is unpacked and tagged.`,
      "",
      "| what | time | berth ÷ it |",
      "|---|---:|---:|",
      `| \`berth pull\` (CLI → daemon, layers applied while downloading) | ${berth.toFixed(2)} s | 1.00× |`,
      `| \`docker pull\` (dockerd 20.10) | ${cell(dockerd)} | ${ratio(dockerd)} |`,
      `| \`podman pull\` | ${cell(podman)} | ${ratio(podman)} |`,
      `| \`skopeo copy\` to an OCI layout (download and verify only: the network floor) | ${floor.toFixed(2)} s | ${(berth / floor).toFixed(2)}× |`,
      `| 5 × \`tar -xzf\` of the same blobs side by side (unpack only: the disk floor) | ${untar.toFixed(2)} s | ${(berth / untar).toFixed(2)}× |`,
      "",
      "Target from the registries issue: berth ≤ 0.4× docker's time.",
      "",
    ].join("\n");
  } finally {
    await registry.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await run());
