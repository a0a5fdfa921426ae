// A streaming command whose reader stalls (`berth events | less`, `berth logs -f c | sleep 1000`)
// waits for it, as the docker CLI blocks on a full pipe: the output waiting in the CLI stays under
// the high-water mark of src/cli/stdio.ts's OutputQueue, so its memory does not grow with what the
// daemon sends; and once the reader reads, every line arrives, in order. Bun.write blocks on a full
// pipe for less than ~256 KiB and waits asynchronously beyond: the lines here are long, or the
// writes coalesced, so that the waiting is the queue's.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd, busyboxDaemonForFile } from "../fixtures/daemon.ts";

const file = busyboxDaemonForFile();
const ok = file.ok;
const root = join(import.meta.dir, "../..");
const stallSec = 4;
/** Above the RSS the command had once started; without backpressure it grows by all it was sent (96 MiB and more here). */
const boundMiB = 64;

function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined; // gone
  }
}

/** The child of `shell` running `cmd` (bash forks each side of a pipeline). */
function childRunning(shell: number, argv0: string): number | undefined {
  let kids: string[];
  try {
    kids = readFileSync(`/proc/${shell}/task/${shell}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
  return kids.map(Number).find((k) => {
    try {
      return readFileSync(`/proc/${k}/cmdline`, "utf8").split("\0")[0] === argv0;
    } catch {
      return false;
    }
  });
}

/**
 * `cmd | { sleep stallSec; digest > file }`: samples cmd's RSS while its reader sleeps, then lets
 * the reader read. `digest` (awk) keeps the check's own memory small: what each line was and its length.
 */
async function intoStalledReader(cmd: string[], digest: string): Promise<{ code: number; lines: string[]; startRss: number; maxRss: number }> {
  const dir = mkdtempSync("/tmp/berth-test-stalled-");
  try {
    const out = join(dir, "digest");
    const sh = Bun.spawn(["bash", "-c", `set -o pipefail; "$@" | { sleep ${stallSec}; awk '${digest}' > "${out}"; }`, "bash", ...cmd], { stdout: "ignore", stderr: "pipe" });
    let pid: number | undefined;
    for (let i = 0; i < 200 && !pid; i++) {
      pid = childRunning(sh.pid, cmd[0]!);
      if (!pid) await Bun.sleep(5);
    }
    if (!pid) throw new Error(`the command did not start: ${cmd.join(" ")}`);
    // Its start: the runtime loaded and the request sent, before much of the answer can have come.
    await Bun.sleep(300);
    const startRss = rssMiB(pid) ?? 0;
    let maxRss = startRss;
    const until = Date.now() + (stallSec - 0.7) * 1000;
    while (Date.now() < until) {
      await Bun.sleep(100);
      maxRss = Math.max(maxRss, rssMiB(pid) ?? 0);
    }
    const code = await sh.exited;
    const stderr = await new Response(sh.stderr).text();
    if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${stderr}`);
    return { code, lines: readFileSync(out, "utf8").split("\n").filter(Boolean), startRss, maxRss };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** n lines "i xxx…" of `width` characters each, as fast as busybox's awk prints them. */
const linesScript = (n: number, width: number) => `BEGIN { s = sprintf("%${width}s", "x"); for (i = 0; i < ${n}; i++) print i, s }`;
const lineCount = 200_000; // of 501 to 506 bytes: ~96 MiB
/** Each line's number and length, in the order they came. */
const numberAndLength = "{ print $1, length($0) }";

function expectNumberedLines(lines: string[]): void {
  expect(lines.length).toBe(lineCount);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== `${i} ${String(i).length + 501}`) throw new Error(`line ${i} came as ${JSON.stringify(lines[i])}`);
  }
}

test.skipIf(!ok)("events for a stalled reader: the CLI's memory stays bounded, and every event comes, in order", async () => {
  const count = 192;
  const since = (Date.now() / 1000 - 1).toFixed(3);
  for (let i = 0; i < count; i++) {
    const r = await fetch("http://localhost/volumes/create", { unix: file.d.socket, method: "POST", body: JSON.stringify({ Name: `stall${i}` }), headers: { "Content-Type": "application/json" } } as RequestInit);
    expect(r.status).toBe(201);
  }
  const until = (Date.now() / 1000 + 1).toFixed(3);
  // Each event as a line of 512 KiB: 96 MiB of text in all.
  const r = await intoStalledReader(
    [...berthCmd, "-H", file.d.host, "events", "--since", since, "--until", until, "--filter", "type=volume", "--filter", "event=create", "--format", "{{printf \"%524288s\" .Actor.ID}}"],
    "{ print $1, length($0) }",
  );
  expect(r.maxRss - r.startRss).toBeLessThan(boundMiB);
  expect(r.lines).toEqual(Array.from({ length: count }, (_, i) => `stall${i} 524288`));
}, 120_000);

test.skipIf(!ok)("compose events for a stalled reader: the CLI's memory stays bounded, and every event comes, in order", async () => {
  const dir = mkdtempSync("/tmp/berth-test-stalled-compose-");
  try {
    const composeFile = join(dir, "compose.yaml");
    writeFileSync(composeFile, "services:\n  big:\n    image: busybox\n");
    // A container of the project with a 512 KiB label, which each of its events carries: 96 MiB of text in all.
    const api = (path: string, body?: unknown) => fetch(`http://localhost${path}`, { unix: file.d.socket, method: "POST", body: body && JSON.stringify(body), headers: { "Content-Type": "application/json" } } as RequestInit);
    const since = (Date.now() / 1000 - 1).toFixed(3);
    const created = await api("/containers/create?name=stall-big-1", { Image: "busybox", Cmd: ["true"], Labels: { "com.docker.compose.project": "stall", "com.docker.compose.service": "big", big: "b".repeat(512 << 10) } });
    expect(created.status).toBe(201);
    const { Id } = (await created.json()) as { Id: string };
    const count = 192;
    for (let i = 0; i < count; i++) expect((await api(`/containers/${Id}/rename?name=stall${i}`)).status).toBe(204);
    const until = (Date.now() / 1000 + 1).toFixed(3);
    const r = await intoStalledReader(
      [...berthCmd, "-H", file.d.host, "compose", "-f", composeFile, "-p", "stall", "events", "--since", since, "--until", until],
      '/ rename / { for (i = 1; i <= NF; i++) if ($i ~ /^name=/) print $i, (length($0) > 512 * 1024) }',
    );
    expect(r.maxRss - r.startRss).toBeLessThan(boundMiB);
    expect(r.lines).toEqual(Array.from({ length: count }, (_, i) => `name=stall${i}, 1`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

test.skipIf(!ok)("logs -f for a stalled reader: the CLI's memory stays bounded, and every line comes, in order", async () => {
  const run = await file.d.cli(["run", "-d", "--name", "chatty", "busybox", "busybox", "awk", linesScript(lineCount, 500)]);
  expect(run.code).toBe(0);
  const r = await intoStalledReader([...berthCmd, "-H", file.d.host, "logs", "-f", "chatty"], numberAndLength);
  expect(r.maxRss - r.startRss).toBeLessThan(boundMiB);
  expectNumberedLines(r.lines);
}, 120_000);

test.skipIf(!ok)("run without a terminal for a stalled reader: the CLI's memory stays bounded, and every line comes, in order", async () => {
  const r = await intoStalledReader([...berthCmd, "-H", file.d.host, "run", "--rm", "--log-driver", "none", "busybox", "busybox", "awk", linesScript(lineCount, 500)], numberAndLength);
  expect(r.maxRss - r.startRss).toBeLessThan(boundMiB);
  expectNumberedLines(r.lines);
}, 120_000);

test.skipIf(!ok)("events whose output cannot be written ends with the error, instead of following on into nothing", async () => {
  // /dev/full answers every write with ENOSPC.
  const p = Bun.spawn(["sh", "-c", 'exec "$@" >/dev/full', "sh", ...berthCmd, "-H", file.d.host, "events", "--filter", "type=volume"], { stdout: "ignore", stderr: "pipe" });
  const timer = setTimeout(() => p.kill(9), 20_000);
  try {
    await Bun.sleep(500);
    // The first event's write fails; the next one finds it failed.
    const first = Date.now();
    for (let i = 0; i < 3 && p.exitCode === null; i++) {
      await fetch("http://localhost/volumes/create", { unix: file.d.socket, method: "POST", body: JSON.stringify({ Name: `full${i}` }), headers: { "Content-Type": "application/json" } } as RequestInit);
      await Bun.sleep(300);
    }
    expect(await p.exited).toBe(1);
    // Promptly: the events stream it leaves is closed, not left to keep the process alive (10 s before).
    expect(Date.now() - first).toBeLessThan(5000);
    // Said once, not also as the command's own error.
    expect(await new Response(p.stderr).text()).toBe("berth: writing the output: ENOSPC: no space left on device, write\n");
  } finally {
    clearTimeout(timer);
  }
}, 60_000);

const script = (body: string) => [
  process.execPath, "-e",
  `import { OrderedWriter, paced, stdout, stderr, writable, flushed } from ${JSON.stringify(join(root, "src/cli/stdio.ts"))};\n${body}`,
];

test("text written by a streaming loop waits for a stalled reader instead of piling up, and all of it comes", async () => {
  // 128 MiB of text, each line taken from its source only once there is room for it.
  const r = await intoStalledReader(script(`
    async function* lines() { for (let i = 0; i < 256; i++) yield i + " " + "y".repeat(512 << 10) + "\\n"; }
    for await (const l of paced(lines())) stdout.write(l);
    await flushed();`), "{ print $1, length($0) }");
  expect(r.maxRss - r.startRss).toBeLessThan(boundMiB);
  expect(r.lines).toEqual(Array.from({ length: 256 }, (_, i) => `${i} ${String(i).length + 1 + (512 << 10)}`));
}, 60_000);

test("attach's socket is paused while its output waits behind text for a stalled reader, and all of it comes", async () => {
  // A server sends 96 MiB of numbered lines down a socket, as a hijacked attach does; 512 KiB of text
  // goes first, which Bun.write writes asynchronously, so the container's bytes queue behind it.
  const dir = mkdtempSync("/tmp/berth-test-stalled-attach-");
  try {
    const lines = 96 << 10;
    const r = await intoStalledReader(script(`
      import { createServer, connect } from "node:net";
      import { pumpStreams } from ${JSON.stringify(join(root, "src/cli/commands/attach-stream.ts"))};
      const server = createServer((c) => {
        let i = 0;
        const pump = () => {
          while (i < ${lines}) {
            let chunk = "";
            for (const end = i + 64; i < end; i++) chunk += i + " " + "z".repeat(1000) + "\\n";
            if (!c.write(chunk)) return void c.once("drain", pump);
          }
          c.end();
        };
        pump();
      });
      await new Promise((r) => server.listen(${JSON.stringify(join(dir, "s"))}, r));
      const socket = connect(${JSON.stringify(join(dir, "s"))});
      await new Promise((r) => socket.once("connect", r));
      stdout.write("h".repeat(512 << 10) + "\\n");
      await pumpStreams(socket, new Uint8Array(0), { tty: true, stdin: false });
      server.close();
      await flushed();`), "NR == 1 { print length($0); next } { print $1, length($0) }");
    expect(r.maxRss - r.startRss).toBeLessThan(boundMiB);
    expect(r.lines.length).toBe(lines + 1);
    expect(r.lines[0]).toBe(String(512 << 10));
    for (let i = 0; i < lines; i++) if (r.lines[i + 1] !== `${i} ${String(i).length + 1001}`) throw new Error(`line ${i} came as ${r.lines[i + 1]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test("write() says when the queue is over its mark, and writable() waits until it is under again", () => {
  const r = Bun.spawnSync(["bash", "-c", '"$@" | { sleep 1; wc -c; }', "bash", ...script(`
    let first = -1;
    for (let i = 0; i < 64 && first < 0; i++) if (!stdout.write("z".repeat(128 << 10))) first = i;
    const t = Date.now();
    await writable();
    stderr.write(\`over at \${first}, waited \${Date.now() - t >= 500}\\n\`);
    await flushed();`)]);
  expect(r.stderr.toString()).toBe("over at 7, waited true\n"); // 8 writes of 128 KiB reach 1 MiB; a pipe holds 64 KiB of the first
  expect(r.stdout.toString().trim()).toBe(String(8 << 17));
});

test("text, a container's output and bytes keep their order across stdout and stderr", () => {
  // A large text on stderr first, for a slow reader: what follows on stdout must not overtake it.
  const r = Bun.spawnSync(["bash", "-c", '"$@" 2>&1 | { sleep 0.5; cat; }', "bash", ...script(`
    const w = new OrderedWriter();
    stderr.write("e".repeat(1 << 20) + "\\n");
    w.write(stdout, Buffer.from("container output\\n"));
    stdout.write("text\\n");
    w.write(stderr, Buffer.from("container error\\n"));
    stdout.write(Buffer.from("bytes\\n"));
    await flushed();`)]);
  expect(r.exitCode).toBe(0);
  const out = r.stdout.toString();
  expect(out.length).toBe((1 << 20) + 1 + "container output\ntext\ncontainer error\nbytes\n".length);
  expect(out.slice((1 << 20) + 1)).toBe("container output\ntext\ncontainer error\nbytes\n");
});
