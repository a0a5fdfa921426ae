// More of the Dockerfile through a real daemon: --target builds only the
// stages it needs, ADD of a local tar.gz, ONBUILD triggers in a child build,
// SHELL, ENTRYPOINT over an inherited CMD, COPY --parents, RUN --mount=type=cache kept
// between builds and pruned, a context tar on stdin, and a client that goes
// away in the middle of a RUN.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfsTar, berthCmd, requireDaemon, startDaemon, type TestDaemon } from "../fixtures/daemon.ts";

const run = requireDaemon();
let d: TestDaemon;

beforeAll(async () => {
  if (!run) return;
  d = await startDaemon();
  expect((await d.cli(["import", busyboxRootfsTar(d.dir), "busybox:latest", "--change", 'CMD ["sh"]'])).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await d?.stop();
});

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(d.dir, "ctx-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const build = (args: string[], stdin?: string) => d.cli(["build", ...args], { timeoutMs: 90_000, ...(stdin !== undefined ? { stdin } : {}) });

describe.skipIf(!run)("Dockerfile instructions", () => {
  test("--target builds only the stages the target needs", async () => {
    const ctx = context({
      Dockerfile: "FROM busybox AS a\nRUN echo stage-a > /a\nFROM busybox AS unused\nRUN echo never-built\nFROM busybox AS b\nCOPY --from=a /a /a\nRUN cat /a\nFROM b\nRUN echo final\n",
    });
    const r = await build(["--target", "b", "-t", "target:b", ctx]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("stage-a");
    expect(r.stdout).not.toContain("never-built");
    expect(r.stdout).not.toContain("echo final");
    expect((await d.cli(["run", "--rm", "target:b", "cat", "/a"])).stdout).toBe("stage-a\n");
    const missing = await build(["--target", "nope", ctx]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("failed to reach build target nope in Dockerfile");
  }, 120_000);

  test("ADD extracts local tar archives of every compression; COPY copies them as they are; an xz context", async () => {
    const src = mkdtempSync(join(d.dir, "tarsrc-"));
    mkdirSync(join(src, "pkg"));
    writeFileSync(join(src, "pkg/inside.txt"), "from the archive\n");
    const kinds = { "tar": "", "tar.gz": "-z", "tar.zst": "--zstd", "tar.xz": "-J", "tar.bz2": "-j" };
    const ctx = context({
      Dockerfile: `FROM busybox\n${Object.keys(kinds).map((k) => `ADD pkg.${k} /opt/${k}/\n`).join("")}COPY pkg.tar.gz /raw/\n`,
    });
    for (const [k, flag] of Object.entries(kinds)) {
      expect(Bun.spawnSync(["tar", "-C", src, ...(flag ? [flag] : []), "-cf", join(ctx, `pkg.${k}`), "pkg"]).exitCode).toBe(0);
    }
    const made = await build(["-t", "add:1", ctx]);
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    const out = await d.cli(["run", "--rm", "add:1", "sh", "-c", `for k in ${Object.keys(kinds).join(" ")}; do cat /opt/$k/pkg/inside.txt; done; ls /raw`]);
    expect(out.stdout).toBe("from the archive\n".repeat(5) + "pkg.tar.gz\n");
    // A context sent compressed with xz, as dockerd takes it.
    writeFileSync(join(src, "Dockerfile"), "FROM busybox\nCOPY pkg/inside.txt /\nCMD [\"cat\", \"/inside.txt\"]\n");
    const xz = Bun.spawnSync(["sh", "-c", `tar -C ${src} -cf - Dockerfile pkg | xz -c`]).stdout;
    const r = Bun.spawnSync([...berthCmd, "-H", d.host, "build", "-q", "-t", "add:xz", "-"], { stdin: xz });
    expect(r.exitCode).toBe(0);
    expect((await d.cli(["run", "--rm", "add:xz"])).stdout).toBe("from the archive\n");
  }, 120_000);

  test("ADD fetches a URL (checked against --checksum), kept as a file of mode 0600", async () => {
    const body = "served over http\n";
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => (new URL(req.url).pathname === "/files/note.txt" ? new Response(body) : new Response("no", { status: 404 })) });
    try {
      const sum = `sha256:${new Bun.CryptoHasher("sha256").update(body).digest("hex")}`;
      const url = `http://127.0.0.1:${server.port}/files/note.txt`;
      const ok = context({ Dockerfile: `FROM busybox\nADD --checksum=${sum} ${url} /srv/\n` });
      expect((await build(["-t", "url:1", ok])).code).toBe(0);
      const out = await d.cli(["run", "--rm", "url:1", "sh", "-c", "cat /srv/note.txt; ls -l /srv/note.txt"]);
      expect(out.stdout).toStartWith(`${body}-rw-------`);
      const bad = context({ Dockerfile: `FROM busybox\nADD --checksum=sha256:${"0".repeat(64)} ${url} /srv/\n` });
      const r = await build([bad]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("digest mismatch");
      const missing = context({ Dockerfile: `FROM busybox\nADD http://127.0.0.1:${server.port}/nope /x\n` });
      expect((await build([missing])).stderr).toContain("Got HTTP status code >= 400: 404");
    } finally {
      server.stop(true);
    }
  }, 120_000);

  test("ADD of two URLs with one base name: each is fetched into a file of its own, never written over the other", async () => {
    const served: Record<string, string> = { "/a/same.txt": "first\n", "/b/same.txt": "second\n" };
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => new Response(served[new URL(req.url).pathname] ?? "no", { status: served[new URL(req.url).pathname] ? 200 : 404 }) });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const ctx = context({ Dockerfile: `FROM busybox\nADD ${base}/a/same.txt ${base}/b/same.txt /srv/\n` });
      const first = await build(["-t", "twourls:1", ctx]);
      expect(first.code).toBe(0);
      expect(first.stdout).not.toContain("Using cache");
      // The later source wins at the destination, as in Docker.
      expect((await d.cli(["run", "--rm", "twourls:1", "cat", "/srv/same.txt"])).stdout).toBe("second\n");
      expect((await build([ctx])).stdout).toContain("Using cache");
      // Only the first URL's content changes, longer than the second's: the step runs
      // again, and the second file is not written over what is left of the first.
      served["/a/same.txt"] = "first, and longer\n";
      const again = await build(["-t", "twourls:2", ctx]);
      expect(again.code).toBe(0);
      expect(again.stdout).not.toContain("Using cache");
      expect((await d.cli(["run", "--rm", "twourls:2", "cat", "/srv/same.txt"])).stdout).toBe("second\n");
    } finally {
      server.stop(true);
    }
  }, 120_000);

  test("COPY --parents keeps each source's directories under the destination; /./ keeps only what follows it", async () => {
    const ctx = context({
      Dockerfile: "FROM busybox\nCOPY --parents x/a.txt y/*.txt /p/\nCOPY --parents ./x/./deep/d.txt /q/\nCOPY --parents x/deep /r/\nCOPY x/a.txt y/b.txt /flat/\n",
      "x/a.txt": "a\n",
      "y/b.txt": "b\n",
      "x/deep/d.txt": "d\n",
    });
    const r = await build(["-t", "parents:1", ctx]);
    expect(r.code).toBe(0);
    const files = await d.cli(["run", "--rm", "parents:1", "sh", "-c", "cd / && find p q r flat -type f | sort"]);
    expect(files.stdout.split("\n").filter(Boolean)).toEqual(["flat/a.txt", "flat/b.txt", "p/x/a.txt", "p/y/b.txt", "q/deep/d.txt", "r/x/deep/d.txt"]);
    // The flag is part of the step's cache key: the same sources without it are another layer.
    const plain = context({ Dockerfile: "FROM busybox\nCOPY x/a.txt /p/\n", "x/a.txt": "a\n" });
    const withParents = context({ Dockerfile: "FROM busybox\nCOPY --parents x/a.txt /p/\n", "x/a.txt": "a\n" });
    expect((await build(["-t", "parents:plain", plain])).code).toBe(0);
    expect((await build(["-t", "parents:kept", withParents])).stdout).not.toContain("Using cache");
    expect((await d.cli(["run", "--rm", "parents:kept", "cat", "/p/x/a.txt"])).stdout).toBe("a\n");
  }, 120_000);

  test("ONBUILD triggers run in the child build; SHELL and ENTRYPOINT apply", async () => {
    const parent = context({ Dockerfile: "FROM busybox\nONBUILD COPY marker /marker\nONBUILD RUN echo triggered >> /marker\n" });
    expect((await build(["-t", "onbuild-parent:1", parent])).code).toBe(0);
    const parentConfig = JSON.parse((await d.cli(["image", "inspect", "onbuild-parent:1"])).stdout)[0].Config;
    expect(parentConfig.OnBuild).toEqual(["COPY marker /marker", "RUN echo triggered >> /marker"]);
    const child = context({
      marker: "child\n",
      Dockerfile: 'FROM onbuild-parent:1\nSHELL ["/bin/sh", "-e", "-c"]\nRUN echo "$0 $-" > /shell\nENTRYPOINT ["cat"]\n',
    });
    const r = await build(["-t", "onbuild-child:1", child]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("# Executing 2 build triggers");
    const out = await d.cli(["run", "--rm", "onbuild-child:1", "/marker", "/shell"]);
    expect(out.stdout).toMatch(/^child\ntriggered\n\/bin\/sh .*e/);
    const cfg = JSON.parse((await d.cli(["image", "inspect", "onbuild-child:1"])).stdout)[0].Config;
    expect(cfg.OnBuild ?? []).toEqual([]);
    expect(cfg.Cmd).toBeNull(); // the base image's CMD does not survive a new ENTRYPOINT
    expect(cfg.Shell).toEqual(["/bin/sh", "-e", "-c"]);
  }, 120_000);

  test("RUN --mount=type=cache keeps its directory between builds, out of the layers; builder prune empties it", async () => {
    const ctx = context({ Dockerfile: "FROM busybox\nARG N\nRUN --mount=type=cache,target=/cache echo $N >> /cache/log && cat /cache/log\n" });
    expect((await build(["--build-arg", "N=one", ctx])).stdout).toContain("one\n");
    const second = await build(["--build-arg", "N=two", "-t", "cached:1", ctx]);
    expect(second.stdout).toContain("one\ntwo\n");
    expect((await d.cli(["run", "--rm", "cached:1", "ls", "-A", "/cache"])).stdout).toBe("");
    const df = (await d.cli(["system", "df"])).stdout;
    expect(Number(/^Build Cache\s+(\d+)\s/m.exec(df)?.[1])).toBeGreaterThan(2);
    expect((await d.cli(["system", "df", "-v"])).stdout).toMatch(/\nBuild cache usage: [1-9][\d.]*k?B\n[\s\S]*exec\.cachemount/);
    const pruned = await d.cli(["builder", "prune", "-f"]);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain("Total reclaimed space:");
    expect((await d.cli(["system", "df"])).stdout).toMatch(/^Build Cache\s+0\s/m);
    expect((await build(["--build-arg", "N=three", ctx])).stdout).not.toContain("one\n");
  }, 120_000);

  test("a context tar on stdin, and a Dockerfile alone on stdin", async () => {
    const ctx = context({ Dockerfile: "FROM busybox\nCOPY f /f\n", f: "from the tar\n" });
    const tar = Bun.spawnSync(["tar", "-C", ctx, "-cf", "-", "."]).stdout;
    const p = Bun.spawn([...berthCmd, "-H", d.host, "build", "-t", "stdin:1", "-"], { stdin: tar, stdout: "pipe", stderr: "pipe" });
    expect(await p.exited).toBe(0);
    expect((await d.cli(["run", "--rm", "stdin:1", "cat", "/f"])).stdout).toBe("from the tar\n");
    const lone = await build(["-q", "-"], "FROM busybox\nENV LONE=1\n");
    expect(lone.code).toBe(0);
    expect(lone.stdout.trim()).toMatch(/^sha256:/);
  }, 120_000);

  test("--output writes the stage's files (a directory or a tar) and keeps no image", async () => {
    const ctx = context({ Dockerfile: "FROM busybox AS b\nRUN mkdir /out && echo artifact > /out/a\nFROM scratch\nCOPY --from=b /out/ /\n" });
    const dest = join(d.dir, "out-local");
    const iid = join(d.dir, "out.iid");
    const r = await build(["-o", `type=local,dest=${dest}`, "--iidfile", iid, ctx]);
    expect(r.code).toBe(0);
    expect(await Bun.file(join(dest, "a")).text()).toBe("artifact\n");
    // The final stage's image is gone (an earlier stage's last step stays, as a dangling image does in Docker).
    expect((await d.cli(["image", "inspect", await Bun.file(iid).text()])).code).toBe(1);
    const tarPath = join(d.dir, "out.tar");
    expect((await build(["--output", `type=tar,dest=${tarPath}`, ctx])).code).toBe(0);
    expect(Bun.spawnSync(["tar", "-tf", tarPath]).stdout.toString()).toContain("a");
  }, 120_000);

  test("RUN heredocs; COPY never follows a context symlink outside; another platform is refused", async () => {
    const ctx = context({ Dockerfile: "FROM busybox\nRUN <<EOF\necho one > /h\necho two >> /h\nEOF\nRUN cat <<A > /g\nfrom a heredoc\nA\nCOPY . /ctx/\n" });
    const { symlinkSync } = await import("node:fs");
    symlinkSync("/etc/shadow", join(ctx, "evil"));
    expect((await build(["-t", "heredoc:1", ctx])).code).toBe(0);
    const out = await d.cli(["run", "--rm", "heredoc:1", "sh", "-c", "cat /h /g; ls -l /ctx/evil"]);
    expect(out.stdout).toMatch(/^one\ntwo\nfrom a heredoc\nl.* \/ctx\/evil -> \/etc\/shadow\n$/);
    writeFileSync(join(ctx, "Dockerfile"), "FROM busybox\nCOPY evil /x\n");
    const escape = await build([ctx]);
    expect(escape.code).toBe(1);
    expect(escape.stderr).toContain("COPY failed: file not found in build context");
    writeFileSync(join(ctx, "Dockerfile"), "FROM busybox\nCOPY --exclude=*.md . /x/\n");
    expect((await build([ctx])).stderr).toContain("COPY --exclude is not supported yet");
    const other = await build(["--platform", process.arch === "arm64" ? "linux/amd64" : "linux/arm64", ctx]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("is not supported: this engine builds for linux/");
  }, 120_000);

  test("a client that disconnects (Ctrl-C) cancels the build: no container, layer, image, cache entry or scratch file is left", async () => {
    const ctx = context({ Dockerfile: "FROM busybox\nRUN echo started && sleep 60\n" });
    const data = join(d.dir, "data");
    const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
    const state = async () => ({
      images: (await d.cli(["images", "-aq", "--no-trunc"])).stdout,
      layers: entries(join(data, "layers")),
      cache: /^Build Cache\s+(\d+)\s/m.exec((await d.cli(["system", "df"])).stdout)?.[1],
    });
    const before = await state();
    const p = Bun.spawn([...berthCmd, "-H", d.host, "build", "--no-cache", ctx], { stdout: "pipe", stderr: "pipe" });
    const reader = p.stdout.getReader();
    let seen = "";
    while (!seen.includes("started")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    expect(seen).toContain("started");
    p.kill("SIGINT");
    await p.exited;
    // The daemon notices the closed connection: wait (10 s at most) for the step's container and scratch files to go.
    let left = "x";
    for (const deadline = Date.now() + 10_000; left && Date.now() < deadline; ) {
      await Bun.sleep(100);
      left = (await d.cli(["ps", "-aq"])).stdout.trim() + entries(join(data, "tmp")).join(" ");
    }
    expect(left).toBe("");
    expect(await state()).toEqual(before);
  }, 120_000);
});
