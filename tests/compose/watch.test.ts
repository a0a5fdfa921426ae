// compose watch against a real daemon (in a network namespace of the file's
// own): develop.watch rules drive what a file's change does to the running
// containers. Sync copies a new or edited file in (new directories too) and
// removes a deleted one; `ignore`, .dockerignore and editors' temporary files are
// left out; initial_sync copies in at the start what changed since the image was made; sync+restart restarts
// the container, sync+exec runs the rule's command; rebuild builds the image
// again and recreates the container from it. A target the compose file steers
// outside the container (with "..", or through a symlink in the container) stays
// inside the container's root. compose's lines are printed as compose words them.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthCmd } from "../fixtures/daemon.ts";
import { writeProject } from "./app-project.ts";
import { composeDaemonForFile } from "./compose-daemon.ts";

const daemon = composeDaemonForFile("cmpw");
const work = mkdtempSync("/tmp/berth-compose-watch-");
const escapeName = `berth-watch-escape-${Math.random().toString(36).slice(2, 8)}`;
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(`/tmp/${escapeName}`, { recursive: true, force: true });
  rmSync(`/tmp/${escapeName}-link`, { recursive: true, force: true });
});

/** Polls `probe` until it gives true, `ms` at most. */
async function until(probe: () => Promise<boolean> | boolean, ms = 15_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await Bun.sleep(100)) if (await probe()) return true;
  return probe();
}

/** A long-running `berth compose …`, its output collected as it comes. */
function spawnCompose(dir: string, args: string[]) {
  const p = Bun.spawn([...berthCmd, "-H", daemon.d.host, "compose", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const out = { stdout: "", stderr: "" };
  const read = async (s: ReadableStream<Uint8Array>, k: "stdout" | "stderr") => {
    const dec = new TextDecoder();
    for await (const chunk of s) out[k] += dec.decode(chunk, { stream: true });
  };
  const done = Promise.all([read(p.stdout, "stdout"), read(p.stderr, "stderr")]);
  const killer = setTimeout(() => p.kill(9), 150_000);
  return {
    out, proc: p,
    async stop(): Promise<number> {
      p.kill("SIGINT");
      const code = await p.exited;
      await done;
      clearTimeout(killer);
      return code;
    },
  };
}

const project = `
services:
  app:
    build: .
    command: sleep 100000
    stop_signal: SIGKILL
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app/src
          ignore: ["*.tmp"]
        - path: ./seed
          action: sync
          target: /seed
          initial_sync: true
        - path: ./version
          action: rebuild
        - path: ./escape
          action: sync
          target: ../../../../../../../../tmp/${escapeName}
        - path: ./via-link
          action: sync
          target: /app/link
  web:
    image: busybox
    command: sleep 100000
    stop_signal: SIGKILL
    develop:
      watch:
        - path: ./conf
          action: sync+restart
          target: /conf
        - path: ./hook
          action: sync+exec
          target: /hook
          exec:
            command: ["sh", "-c", "echo exec-saw-$$(cat /hook/h.txt)"]
`;

describe.if(daemon.ok)("compose watch", () => {
  const dir = join(work, "wa");
  const exec = (ct: string, cmd: string) => daemon.d.cli(["exec", ct, "sh", "-c", cmd]);
  const cat = async (ct: string, path: string) => {
    const r = await exec(ct, `cat ${path} 2>/dev/null`);
    return r.code === 0 ? r.stdout : undefined;
  };
  const inspect = async (name: string) => JSON.parse((await daemon.d.cli(["inspect", name])).stdout)[0];

  test("sync, ignore, initial_sync, sync+restart, sync+exec and rebuild, with compose's lines; targets stay inside the container", async () => {
    writeProject(dir, {
      "compose.yaml": project,
      // /app/link points out of the container's root, as far as ".." goes: it must land in the container's /tmp.
      Dockerfile: `FROM busybox\nCOPY version /version\nRUN mkdir -p /app/src /tmp/${escapeName}-link && ln -s /../../../../tmp/${escapeName}-link /app/link\n`,
      ".dockerignore": "src/secret.txt\n",
      version: "v1\n",
      "src/keep.txt": "start\n",
      "seed/a.txt": "seeded\n",
      "escape/.keep": "",
      "via-link/.keep": "",
      "conf/c.txt": "0\n",
      "hook/.keep": "",
    });
    // initial_sync takes what changed after the image was made, as compose does: a file dated later goes in, one dated before not.
    utimesSync(join(dir, "seed/a.txt"), new Date(Date.now() + 3_600_000), new Date(Date.now() + 3_600_000));
    writeFileSync(join(dir, "seed/old.txt"), "in the image already\n");
    utimesSync(join(dir, "seed/old.txt"), new Date("2001-01-01"), new Date("2001-01-01"));
    const w = spawnCompose(dir, ["watch"]);
    try {
      expect(await until(() => w.out.stdout.includes("Watch enabled\n"), 60_000)).toBe(true);
      expect(w.out.stderr).toContain("Container wa-app-1  Started");
      // initial_sync: the path's files are in before any change.
      expect(await cat("wa-app-1", "/seed/a.txt")).toBe("seeded\n");
      expect(await cat("wa-app-1", "/seed/old.txt")).toBeUndefined();

      // A new file, and one in a new directory.
      writeFileSync(join(dir, "src/hello.txt"), "hello from the host\n");
      mkdirSync(join(dir, "src/deep/er"), { recursive: true });
      writeFileSync(join(dir, "src/deep/er/x.txt"), "deep\n");
      expect(await until(async () => (await cat("wa-app-1", "/app/src/deep/er/x.txt")) === "deep\n")).toBe(true);
      expect(await cat("wa-app-1", "/app/src/hello.txt")).toBe("hello from the host\n");
      expect(w.out.stdout).toMatch(/Syncing service "app" after \d+ changes were detected\n/);

      // Ignored by the rule, by .dockerignore, and an editor's swap file: never copied.
      writeFileSync(join(dir, "src/draft.tmp"), "no\n");
      writeFileSync(join(dir, "src/secret.txt"), "no\n");
      writeFileSync(join(dir, "src/.hello.txt.swp"), "no\n");
      await Bun.sleep(800);
      writeFileSync(join(dir, "src/after.txt"), "after\n");
      expect(await until(async () => (await cat("wa-app-1", "/app/src/after.txt")) === "after\n")).toBe(true);
      for (const f of ["draft.tmp", "secret.txt", ".hello.txt.swp"]) expect(await cat("wa-app-1", `/app/src/${f}`)).toBeUndefined();

      // An edit, then a deletion.
      writeFileSync(join(dir, "src/hello.txt"), "edited\n");
      expect(await until(async () => (await cat("wa-app-1", "/app/src/hello.txt")) === "edited\n")).toBe(true);
      unlinkSync(join(dir, "src/hello.txt"));
      expect(await until(async () => (await cat("wa-app-1", "/app/src/hello.txt")) === undefined)).toBe(true);
      expect(await cat("wa-app-1", "/app/src/keep.txt")).toBe(undefined); // never changed, never synced (no initial_sync)

      // A target with ".." and one through a symlink pointing out: inside the container, never on the host.
      writeFileSync(join(dir, "escape/out.txt"), "contained\n");
      await Bun.sleep(1500);
      writeFileSync(join(dir, "via-link/out.txt"), "contained\n");
      expect(await until(async () => (await cat("wa-app-1", `/tmp/${escapeName}-link/out.txt`)) === "contained\n")).toBe(true);
      expect(existsSync(`/tmp/${escapeName}`)).toBe(false);
      expect(existsSync(`/tmp/${escapeName}-link`)).toBe(false);
      // The ".." one the daemon refuses (as dockerd's untar refuses a path out of its directory); watch goes on.
      expect(w.out.stderr).toMatch(/WARN\[0000\] Error handling changed files: copying files to [0-9a-f]{64}: .*escapes the target directory\n/);

      // sync+restart: the file, then a restart; sync+exec: the file, then the rule's command, its output printed.
      const started = (await inspect("wa-web-1")).State.StartedAt;
      writeFileSync(join(dir, "conf/c.txt"), "1\n");
      expect(await until(() => w.out.stdout.includes('service(s) ["web"] restarted\n'))).toBe(true);
      expect((await inspect("wa-web-1")).State.StartedAt).not.toBe(started);
      expect(await cat("wa-web-1", "/conf/c.txt")).toBe("1\n");
      writeFileSync(join(dir, "hook/h.txt"), "42\n");
      expect(await until(() => w.out.stdout.includes("exec-saw-42\n"))).toBe(true);

      // rebuild: a new image, the container recreated from it.
      const before = await inspect("wa-app-1");
      writeFileSync(join(dir, "version"), "v2\n");
      expect(await until(async () => (await cat("wa-app-1", "/version")) === "v2\n", 60_000)).toBe(true);
      const after = await inspect("wa-app-1");
      expect(after.Id).not.toBe(before.Id);
      expect(after.Image).not.toBe(before.Image);
      expect(w.out.stdout).toContain('Rebuilding service(s) ["app"] after changes were detected...\n');
      expect(w.out.stdout).toContain('service(s) ["app"] successfully built\n');
      // --prune (the default): the image the rebuild replaced is gone.
      expect(await until(async () => (await daemon.d.cli(["image", "inspect", before.Image])).code !== 0)).toBe(true);
      // Saved as editors save, a new file renamed over the old: seen that time and the next.
      writeFileSync(join(dir, "version.new"), "v3\n");
      renameSync(join(dir, "version.new"), join(dir, "version"));
      expect(await until(async () => (await cat("wa-app-1", "/version")) === "v3\n", 60_000)).toBe(true);
      writeFileSync(join(dir, "version"), "v4\n");
      expect(await until(async () => (await cat("wa-app-1", "/version")) === "v4\n", 60_000)).toBe(true);
    } finally {
      expect(await w.stop()).toBe(0);
    }
    expect(w.out.stdout).toEndWith("Watch disabled\n");
    expect((await daemon.compose(dir, ["down"])).code).toBe(0);
  }, 150_000);

  test("up --watch: the output and compose's watch lines behind ⦿; a rebuilt service's new container is attached, a restarted one followed again, and Ctrl+C ends both", async () => {
    const udir = writeProject(join(work, "uw"), {
      "compose.yaml": `
services:
  app:
    build: .
    stop_signal: SIGKILL
    develop:
      watch:
        - {path: ./version, action: rebuild}
        - {path: ./src, action: sync, target: /src}
  web:
    image: busybox
    command: ["sh", "-c", "echo web-start-$$(cat /conf/c 2>/dev/null); exec sleep 100000"]
    stop_signal: SIGKILL
    develop:
      watch:
        - {path: ./conf, action: sync+restart, target: /conf}
`,
      Dockerfile: 'FROM busybox\nCOPY version /version\nCMD ["sh", "-c", "echo running-$(cat /version); exec sleep 100000"]\n',
      version: "v1\n",
      "src/.keep": "",
      "conf/.keep": "",
    });
    const u = spawnCompose(udir, ["up", "--watch"]);
    let code: number | undefined;
    try {
      expect(await until(() => u.out.stdout.includes("| running-v1\n") && u.out.stdout.includes("⦿ Watch enabled\n"), 60_000)).toBe(true);
      // The mark lines up with the bars: "#watch" is a name too, one wider than "app-1".
      expect(u.out.stdout).toContain(`\n${" ".repeat(8)}⦿ Watch enabled\n`);
      writeFileSync(join(udir, "src/a.txt"), "a\n");
      expect(await until(() => u.out.stdout.includes('⦿ Syncing service "app" after 1 changes were detected\n'))).toBe(true);
      expect(await until(async () => (await cat("uw-app-1", "/src/a.txt")) === "a\n")).toBe(true);
      writeFileSync(join(udir, "version"), "v2\n");
      expect(await until(() => u.out.stdout.includes("app-1   | running-v2\n"), 60_000)).toBe(true);
      expect(u.out.stdout).toContain("app-1 has been recreated\n");
      expect(u.out.stdout).toContain('⦿ service(s) ["app"] successfully built\n');
      // sync+restart: what the restarted container prints from its start on is shown.
      writeFileSync(join(udir, "conf/c"), "one\n");
      expect(await until(() => u.out.stdout.includes("web-1   | web-start-one\n"))).toBe(true);
      expect(u.out.stdout).toContain('⦿ service(s) ["web"] restarted\n');
      expect(u.proc.exitCode).toBeNull(); // the replaced container's end did not end up
    } finally {
      code = await u.stop();
    }
    expect(code).toBe(130);
    expect(u.out.stdout).toContain("Gracefully Stopping... press Ctrl+C again to force\n");
    expect((await daemon.compose(udir, ["down"])).code).toBe(0);
  }, 150_000);

  test("up --watch: Ctrl+C while a rebuild is under way stops what it makes too, and up ends", async () => {
    const sdir = writeProject(join(work, "cc"), {
      "compose.yaml": "services:\n  app:\n    build: .\n    stop_signal: SIGKILL\n    develop:\n      watch:\n        - {path: ./version, action: rebuild}\n",
      // The RUN after the COPY runs again at each rebuild: Ctrl+C comes while it sleeps.
      Dockerfile: 'FROM busybox\nCOPY version /version\nRUN sleep 2\nCMD ["sh", "-c", "echo running-$(cat /version); exec sleep 100000"]\n',
      version: "v1\n",
    });
    const u = spawnCompose(sdir, ["up", "--watch"]);
    let code: number | undefined;
    try {
      expect(await until(() => u.out.stdout.includes("⦿ Watch enabled\n") && u.out.stdout.includes("| running-v1\n"), 60_000)).toBe(true);
      writeFileSync(join(sdir, "version"), "v2\n");
      expect(await until(() => u.out.stdout.includes("⦿ Rebuilding service(s)"))).toBe(true);
      u.proc.kill("SIGINT");
      const ended = await Promise.race([u.proc.exited.then(() => true), Bun.sleep(30_000).then(() => false)]);
      expect(ended).toBe(true);
    } finally {
      code = await u.stop();
    }
    expect(code).toBe(130);
    const ps = await daemon.d.cli(["ps", "-q", "--filter", "label=com.docker.compose.project=cc"]);
    expect(ps.stdout).toBe("");
    expect((await daemon.compose(sdir, ["down"])).code).toBe(0);
  }, 150_000);

  test("a directory of 100 MiB moved into a synced path goes in as the tar is written, not read whole first", async () => {
    const bdir = writeProject(join(work, "big"), {
      "compose.yaml": "services:\n  app:\n    image: busybox\n    command: sleep 100000\n    stop_signal: SIGKILL\n    develop:\n      watch:\n        - {path: ./src, action: sync, target: /src}\n",
      "src/.keep": "",
    });
    const w = spawnCompose(bdir, ["watch"]);
    try {
      expect(await until(() => w.out.stdout.includes("Watch enabled\n"), 60_000)).toBe(true);
      const peak = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${w.proc.pid}/status`, "utf8"))![1]) * 1024;
      const before = peak();
      mkdirSync(join(work, "big-out/d"), { recursive: true });
      const blob = Buffer.alloc(256 * 1024, 7);
      for (let i = 0; i < 400; i++) writeFileSync(join(work, "big-out/d", `f${i}`), blob);
      renameSync(join(work, "big-out/d"), join(bdir, "src/d"));
      expect(await until(async () => (await exec("big-app-1", "wc -c < /src/d/f399")).stdout.trim() === String(256 * 1024), 60_000)).toBe(true);
      // Read whole, the files' bytes and their copies grew the CLI by 225 MB; streamed, by about 30 MB.
      expect(peak() - before).toBeLessThan(96 * 1024 * 1024);
    } finally {
      expect(await w.stop()).toBe(0);
    }
    expect((await daemon.compose(bdir, ["down"])).code).toBe(0);
  }, 150_000);

  test("compose's refusals: no develop section, a rebuild rule without a build, a sync rule without a target", async () => {
    const none = writeProject(join(work, "none"), { "compose.yaml": "services:\n  a: {image: busybox}\n" });
    const r1 = await daemon.compose(none, ["watch", "--no-up"]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toBe("none of the selected services is configured for watch, consider setting a 'develop' section\n");
    const nobuild = writeProject(join(work, "nobuild"), { "compose.yaml": "services:\n  a:\n    image: busybox\n    develop:\n      watch: [{path: ., action: rebuild}]\n" });
    const r2 = await daemon.compose(nobuild, ["watch", "--no-up"]);
    expect(r2.stderr).toBe(`can't watch service "a" with action rebuild without a build context\n`);
    const notarget = writeProject(join(work, "notarget"), { "compose.yaml": "services:\n  a:\n    image: busybox\n    develop:\n      watch: [{path: ., action: sync}]\n" });
    const r3 = await daemon.compose(notarget, ["config"]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toBe("services.a.develop.watch: target is required for non-rebuild actions: invalid\n");
    const badAction = writeProject(join(work, "badaction"), { "compose.yaml": "services:\n  a:\n    image: busybox\n    develop:\n      watch: [{path: ., action: copy, target: /x}]\n" });
    const r5 = await daemon.compose(none, ["up", "--watch"]);
    expect(r5.stderr).toBe("none of the selected services is configured for watch, see https://docs.docker.com/compose/how-tos/file-watch/\n");
    expect((await daemon.compose(none, ["up", "-d", "--watch"])).stderr).toBe("--detach cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach, --attach-dependencies or --watch\n");
    expect((await daemon.compose(none, ["up", "--no-build", "--watch"])).stderr).toBe("--no-build and --watch are incompatible\n");
    const r4 = await daemon.compose(badAction, ["config"]);
    expect(r4.stderr).toContain('services.a.develop.watch.0.action must be one of "rebuild", "sync", "restart", "sync+restart", "sync+exec"');
  });
});
